"""At most one provider send per call, whatever fails after the provider took it, and no subscriber without
its subscribe activity (issue 15).

Each failure point is injected into a real call of the inbound handler, and the caller then retries the
same call as a sender does on anything but a 2xx: the provider (moto's SES and SNS, or a loopback server
standing in for them) counts the sends.
- The provider accepted, then the write of the send's activity fails (DynamoDB unreachable).
- The provider takes the request and answers after the SDK's read timeout.
- The invocation dies after the send, before the call is recorded, as at the function's timeout: Crash is a
  BaseException, past every `except Exception`, and the invocation had 50 ms left.
A new subscriber is written with its subscribe activity or not at all: when the activity cannot be written,
the caller's retry adds it, and the export endpoints hear of it.
"""

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from devstack.template import Stack
from functions.inbound.app import handler
from mailhooks.aws import aws
from mailhooks.models import ActivityKind
from mailhooks.settings import settings
from tests.support.helpers import (
    EMAIL_CALL,
    SMS_CALL,
    FakeLambdaContext,
    call,
    hook_event,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
    sent_sms,
)
from tests.support.receivers import Receiver, Reply
from tests.support.triggers import Crash

# A handler that dies before adding a metric leaves Powertools nothing to publish, and it says so.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
Hook = Callable[[str, Callable[..., Any]], None]
EMAIL, SMS = EMAIL_CALL, SMS_CALL
SENDS = {
    "send_email": (EMAIL, 200, sent_emails),
    "send_sms": (SMS, 201, sent_sms),
}
RETRIES = 3
# What SES and SNS answer to an accepted send: here after 0.5 s more than the SDK's read timeout (5 s).
SLOW = {
    "send_email": (
        "AWS_ENDPOINT_URL_SESV2",
        Reply(delay=5.5, headers={"Content-Type": "application/json"}, body=b'{"MessageId": "m-1"}'),
    ),
    "send_sms": (
        "AWS_ENDPOINT_URL_SNS",
        Reply(
            delay=5.5,
            headers={"Content-Type": "text/xml"},
            body=b"<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult>"
            b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>",
        ),
    ),
}


class ClosingContext(FakeLambdaContext):
    """An invocation about to reach its timeout."""

    def get_remaining_time_in_millis(self) -> int:
        return 50


def _tables(operation: str, params: dict[str, Any]) -> set[str]:
    """The tables a DynamoDB write names."""
    if operation == "BatchWriteItem":
        return set(params["RequestItems"])
    if operation == "TransactWriteItems":
        return {next(iter(item.values()))["TableName"] for item in params["TransactItems"]}
    return {params["TableName"]}


WRITES = ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems")


def _completes_a_record(operation: str, params: dict[str, Any]) -> bool:
    """Whether the write completes a call's idempotency record (a Put begins it)."""
    return operation == "TransactWriteItems" and any(
        item.get("Update", {}).get("TableName") == settings().idempotency_table
        for item in params["TransactItems"]
    )


def fail_once_on_writes_to(
    hook: Hook, table: str, failure: BaseException, where: Callable[[str, dict[str, Any]], bool] | None = None
) -> list[str]:
    """Raise the failure from the first DynamoDB write to the table (of those `where` picks); answer the
    operations it failed."""
    failed: list[str] = []
    for operation in WRITES:

        def inject(params: dict[str, Any], operation: str = operation, **_: Any) -> None:
            picked = where(operation, params) if where else True
            if not failed and picked and table in _tables(operation, params):
                failed.append(operation)
                raise failure

        hook(f"before-parameter-build.dynamodb.{operation}", inject)
    return failed


def retried(event: dict[str, Any]) -> list[tuple[int, dict[str, Any] | None]]:
    """The answers to the caller's retries of a call."""
    return [call(event)[:2] for _ in range(RETRIES)]


@pytest.fixture(params=sorted(SENDS))
def sending(request: pytest.FixtureRequest, stack: Stack) -> tuple[str, dict[str, Any]]:
    seed_account(12)
    values = SENDS[request.param][0]
    webhook = seed_webhook(request.param, {name: f"/{name}" for name in values})
    return request.param, hook_event(webhook.token, json.dumps(values))


def activities() -> list[dict[str, Any]]:
    return aws().activity_table.scan(ConsistentRead=True)["Items"]


def test_an_undisturbed_call_sends_once_and_its_retries_get_the_same_answer(
    sending: tuple[str, dict[str, Any]],
) -> None:
    operation, event = sending
    _, accepted, sends = SENDS[operation]

    first = call(event)[:2]

    assert first[0] == accepted
    assert retried(event) == [first] * RETRIES
    assert len(sends()) == 1
    assert [item["activity_id"] for item in activities()] == [ActivityKind.SEND]


def test_a_failed_activity_write_after_the_send_never_sends_again(
    sending: tuple[str, dict[str, Any]], aws_hook: Hook
) -> None:
    operation, event = sending
    _, accepted, sends = SENDS[operation]
    failed = fail_once_on_writes_to(
        aws_hook, settings().activity_table, EndpointConnectionError(endpoint_url="x")
    )

    status, _ = call(event)[:2]
    answers = retried(event)

    assert failed
    # The caller learns it was sent; its retries are not carried out again.
    assert status == accepted
    assert [answer[0] for answer in answers] == [409] * RETRIES
    assert len(sends()) == 1


def test_a_provider_answering_after_the_timeout_is_not_sent_to_again(
    sending: tuple[str, dict[str, Any]],
    receiver: "type[Receiver]",
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    operation, event = sending
    endpoint, slow = SLOW[operation]
    provider = receiver(slow)
    monkeypatch.setenv(endpoint, f"http://127.0.0.1:{provider.port}")
    aws.cache_clear()

    status, body = call(event)[:2]
    answers = retried(event)

    assert status == 502
    assert body is not None
    assert "it may have been carried out" in body["error"]
    assert answers == [(status, body)] * RETRIES
    assert len(provider.received) == 1


def test_an_invocation_killed_after_the_send_is_not_carried_out_again(
    sending: tuple[str, dict[str, Any]], aws_hook: Hook
) -> None:
    operation, event = sending
    _, _, sends = SENDS[operation]
    failed = fail_once_on_writes_to(aws_hook, settings().idempotency_table, Crash(), _completes_a_record)

    with pytest.raises(Crash):
        handler(event, ClosingContext())
    time.sleep(0.1)  # past the end of the dead invocation
    answers = retried(event)

    assert len(failed) == 1
    assert [answer[0] for answer in answers] == [409] * RETRIES
    assert len(sends()) == 1


def test_a_subscriber_is_never_stored_without_its_subscribe_activity(stack: Stack, aws_hook: Hook) -> None:
    seed_account(12)
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    event = hook_event(webhook.token, json.dumps({"email": "ana@example.com"}))
    failed = fail_once_on_writes_to(
        aws_hook, settings().activity_table, EndpointConnectionError(endpoint_url="x")
    )

    status, body = call(event)[:2]
    answers = retried(event)

    assert failed
    assert status == 500
    assert body is not None
    assert "nothing was changed" in body["error"]
    assert [answer[0] for answer in answers] == [201] * RETRIES
    assert [(item["activity_id"], item["email"]) for item in activities()] == [
        (ActivityKind.SUBSCRIBE, "ana@example.com")
    ]
