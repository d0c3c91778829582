"""A send SES or SNS may have carried out is never sent again by the SDK: a provider that fails is called
once, and the caller gets a 502 it may retry (issue 15: at most one provider send per accepted call)."""

import json

import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from tests.support.helpers import EMAIL_CALL, SMS_CALL, call, hook_event, seed_account, seed_webhook
from tests.support.receivers import Receiver, Reply

EMAIL, SMS = EMAIL_CALL, SMS_CALL
# What a provider answers when it failed, or could not tell whether it sent: botocore retries it by default.
SES_FAILED = Reply(
    status=500, headers={"Content-Type": "application/json"}, body=b'{"message": "InternalFailure"}'
)
SNS_FAILED = Reply(
    status=500,
    headers={"Content-Type": "text/xml"},
    body=b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
    b"<Message>InternalFailure</Message></Error></ErrorResponse>",
)
# An answer that is no AWS answer at all: a proxy's error page.
NOT_AWS = Reply(status=502, headers={"Content-Type": "text/html"}, body=b"<html>Bad gateway</html>")


@pytest.mark.parametrize(
    ("operation", "endpoint", "values", "failed"),
    [
        ("send_email", "AWS_ENDPOINT_URL_SESV2", EMAIL, SES_FAILED),
        ("send_sms", "AWS_ENDPOINT_URL_SNS", SMS, SNS_FAILED),
        ("send_sms", "AWS_ENDPOINT_URL_SNS", SMS, NOT_AWS),
    ],
)
def test_a_failing_provider_is_called_once_and_the_caller_gets_a_502(
    stack: Stack,
    receiver: "type[Receiver]",
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    endpoint: str,
    values: dict[str, str],
    failed: Reply,
) -> None:
    seed_account(12)
    webhook = seed_webhook(operation, {name: f"/{name}" for name in values})
    provider = receiver(failed)
    monkeypatch.setenv(endpoint, f"http://127.0.0.1:{provider.port}")
    aws.cache_clear()

    status, _, _ = call(hook_event(webhook.token, json.dumps(values)))

    assert status == 502
    assert len(provider.received) == 1
