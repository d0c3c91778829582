"""The AWS calls of each inbound operation and of a delivered event, counted so that they cannot creep back
(issue 17). Each figure is today's ceiling: a change that lowers one lowers it here; one that raises it
says why here. The lower bounds, and the prices, are bench/cost.py's."""

import json
from collections import Counter

import pytest

from devstack.template import Stack
from functions.delivery.app import handler as deliver
from functions.fanout.app import handler as fan_out
from mailhooks.models import ActivityKind
from mailhooks.store.activity import activity_log
from tests.support.counting import by_operation, counting_aws_calls
from tests.support.helpers import (
    NUMBERED_OPERATIONS,
    OPERATION_CALLS,
    FakeLambdaContext,
    call,
    campaign_activity,
    hook_event,
    seed_operation_calls,
    seed_webhook,
)
from tests.support.pipeline import add_endpoint, configure
from tests.support.receivers import Receiver
from tests.support.streams import StreamTail
from tests.support.triggers import run_queue

# Read the webhook (which carries its account and list), admit and count the call (its pace), and one
# transaction of the effect with the call's log entry. An operation that sends takes what the send needs (its
# quota, its campaign) with the call's record in one transaction before it, and completes the record with
# the send's activity and the log entry in another after it.
INBOUND_CALLS = {
    "add_subscriber": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1},
    "delete_subscriber": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1},
    "unsubscribe": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1},
    "send_sms": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 2, "Publish": 1},
    "send_email": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 2, "SendEmail": 1},
    "send_campaign": {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 2, "SendMessage": 1},
}
# Ten events to one endpoint: what a batch shares (the endpoints' and their health's reads, the SQS
# batches) is counted once.
EVENTS = 10
DELIVERY_CALLS = {
    "BatchWriteItem": 1,  # the activities
    "Query": 1,  # the account's endpoints, at the fan-out
    # The endpoints' health at the fan-out; at delivery, the endpoint with its health, and which of the
    # batch's first receipts are logged already (eventually consistent, a tenth of a lease's price).
    "BatchGetItem": 3,
    "SendMessageBatch": 1,  # the fan-out's queueing
    # Each delivery's log after the POST; at its message's first receipt, it takes no lease (a write more).
    "PutItem": 1 * EVENTS,
    "UpdateItem": 1,  # the endpoint's health, once for the batch
}


def _operations(counted: Counter[str]) -> dict[str, int]:
    return {name.split(".")[1]: count for name, count in counted.items()}


@pytest.mark.parametrize("operation", sorted(OPERATION_CALLS))
def test_each_inbound_operation_makes_its_counted_aws_calls(stack: Stack, operation: str) -> None:
    seed_operation_calls()
    mapping, body = OPERATION_CALLS[operation]
    # A first call warms the container up, as most calls find it; and subscribes whom the operation needs.
    subscribing = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    needed = body["email"] if operation in ("delete_subscriber", "unsubscribe") else "c@example.com"
    assert call(hook_event(subscribing.token, json.dumps({"email": needed})))[0] == 201
    webhook = seed_webhook(operation, mapping, list_id=2222 if operation == "add_subscriber" else None)
    # A container numbers what it sends from a block of ids it takes at its first send: one send before.
    if operation in NUMBERED_OPERATIONS:
        warm_up = hook_event(webhook.token, json.dumps(body), headers={"Idempotency-Key": "warm-up"})
        assert call(warm_up)[0] < 300

    with counting_aws_calls() as calls:
        status = call(hook_event(webhook.token, json.dumps(body)))[0]

    assert status < 300
    assert _operations(by_operation(calls)) == INBOUND_CALLS[operation]


def test_delivered_events_make_their_counted_aws_calls(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, receiver: "type[Receiver]"
) -> None:
    configure(stack, monkeypatch, [5], timeout=5)
    add_endpoint("ep_counted", receiver().url())
    tail = StreamTail(stack, "ActivityTable")

    with counting_aws_calls() as calls:
        activity_log().put([campaign_activity(ActivityKind.OPEN, n) for n in range(EVENTS)])
        fan_out(tail.next_event(), FakeLambdaContext())
        run_queue(stack, "DeliveryQueue", deliver)

    # What the test's trigger does, as Lambda's: find the queue, receive, delete what was delivered.
    trigger = {"sqs.GetQueueUrl", "sqs.ReceiveMessage", "sqs.DeleteMessageBatch"}
    counted = _operations(by_operation([each for each in calls if each[0] not in trigger]))
    assert counted == DELIVERY_CALLS
