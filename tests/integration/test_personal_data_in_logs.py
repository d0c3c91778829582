"""What a provider says of a rejected recipient reaches the caller whole, and the logs masked (issue 15)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.template import ROOT, Stack
from functions.inbound.app import logger
from mailhooks.aws import aws
from tests.support.helpers import EMAIL_CALL, SMS_CALL, call, hook_event, seed_account, seed_webhook
from tests.support.receivers import Receiver, Reply

STACK = Stack.from_file()
EMAIL = {**EMAIL_CALL, "to_email": "ana.garcia@example.com"}
SMS = {**SMS_CALL, "recipient": "+34612345678"}
SES_REJECTED = Reply(
    status=400,
    headers={"Content-Type": "application/json", "x-amzn-ErrorType": "MessageRejected"},
    body=b'{"message": "Email address is not verified: ana.garcia@example.com"}',
)
SNS_REJECTED = Reply(
    status=400,
    headers={"Content-Type": "text/xml"},
    body=b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
    b"<Message>Invalid parameter: PhoneNumber Reason: +34612345678 is opted out</Message></Error>"
    b"</ErrorResponse>",
)


@pytest.mark.parametrize(
    ("operation", "endpoint", "values", "rejected", "recipient", "in_logs"),
    [
        (
            "send_email",
            "AWS_ENDPOINT_URL_SESV2",
            EMAIL,
            SES_REJECTED,
            "ana.garcia@example.com",
            "a***@example.com",
        ),
        ("send_sms", "AWS_ENDPOINT_URL_SNS", SMS, SNS_REJECTED, "+34612345678", "+34*******78"),
    ],
)
def test_a_rejected_recipient_is_masked_in_the_logs_and_whole_in_the_answer(
    stack: Stack,
    receiver: "type[Receiver]",
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    operation: str,
    endpoint: str,
    values: dict[str, str],
    rejected: Reply,
    recipient: str,
    in_logs: str,
) -> None:
    seed_account(12)
    webhook = seed_webhook(operation, {name: f"/{name}" for name in values})
    monkeypatch.setenv(endpoint, f"http://127.0.0.1:{receiver(rejected).port}")
    aws.cache_clear()

    status, body, _ = call(hook_event(webhook.token, json.dumps(values)))

    # Each line as the function's own logger writes it out.
    logged = "\n".join(logger.registered_formatter.format(record) for record in caplog.records)
    assert status == 502
    assert body is not None
    assert recipient in body["error"]
    answered = [json.loads(line) for line in logged.splitlines() if '"inbound call answered"' in line]
    assert len(answered) == 1
    assert in_logs in answered[0]["error"]
    assert recipient not in logged


# Each function's handler module imported under a service name of its own, as in its own Lambda: then
# its logger writes one line with an address and a number in it.
LOG_A_LINE = """
import importlib, os, sys
for folder in sys.argv[1:]:
    os.environ["POWERTOOLS_SERVICE_NAME"] = folder
    importlib.import_module(f"functions.{folder}.app").logger.info("to ana.garcia@example.com, +34612345678")
"""


def test_every_function_masks_what_it_logs() -> None:
    folders = sorted(
        Path(str(STACK.properties(function)["CodeUri"])).name
        for function in STACK.of_type("AWS::Serverless::Function")
    )
    written = subprocess.run(  # noqa: S603 (this test's own script, on the template's folders)
        [sys.executable, "-c", LOG_A_LINE, *folders],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers/common")])},
    ).stdout
    lines = {line["service"]: line["message"] for line in map(json.loads, written.splitlines())}
    assert lines == dict.fromkeys(folders, "to a***@example.com, +34*******78")
