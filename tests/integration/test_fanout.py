"""The fan-out function over the activity table's real stream: one message per (activity, ticked endpoint)."""

import json
import math
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

import mailhooks.clock
from devstack.template import Stack
from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.store.activity import activity_log
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.parking import parked_deliveries
from tests.support.helpers import FakeLambdaContext, campaign_activity, seed_account
from tests.support.streams import StreamTail, receive_all


def endpoint(account_id: int, name: str, kinds: list[ActivityKind], active: bool = True) -> ExportEndpoint:
    created = ExportEndpoint(
        id=name,
        account_id=account_id,
        url=f"https://{name}.example/hooks",
        activities=kinds,
        active=active,
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    export_endpoint_records().put_export_endpoint(created)
    return created


def activity(account_id: int, kind: ActivityKind, n: int) -> ActivityRecord:
    return campaign_activity(kind, n, account_id)


@pytest.fixture
def aws_calls(stack: Stack) -> Iterator[Counter[str]]:
    """Every AWS API call the functions make from now on, by service and operation."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    session = boto3._get_default_session()
    session.events.register("before-call.*.*", count)
    aws.cache_clear()  # clients copy the session's hooks when created
    yield calls
    session.events.unregister("before-call.*.*", count)


def fan_out(stack: Stack, tail: StreamTail) -> tuple[dict[str, Any], list[DeliveryMessage]]:
    from functions.fanout.app import handler

    answer = handler(tail.next_event(), FakeLambdaContext())  # type: ignore[arg-type]
    queued = receive_all(stack.physical["DeliveryQueue"]["QueueUrl"])
    return answer, [DeliveryMessage.of(message["Body"]) for message in queued]


def test_each_endpoint_gets_only_the_kinds_it_ticks(stack: Stack) -> None:
    seed_account(12)
    clicks = endpoint(12, "clicks", [ActivityKind.CLICK])
    engagement = endpoint(12, "engagement", [ActivityKind.OPEN, ActivityKind.CLICK, ActivityKind.COMPLAINT])
    endpoint(12, "switched-off", list(ActivityKind), active=False)
    endpoint(13, "other-account", list(ActivityKind))
    records = [activity(12, kind, n) for n, kind in enumerate(ActivityKind)]
    activity_log().put(records)

    answer, messages = fan_out(stack, StreamTail(stack, "ActivityTable"))

    assert answer == {"batchItemFailures": []}
    by_id = {record.id: record for record in records}
    delivered = sorted(
        (message.endpoint_id, by_id[message.activity_id].activity_id.name) for message in messages
    )
    assert delivered == [
        ("clicks", "CLICK"),
        ("engagement", "CLICK"),
        ("engagement", "COMPLAINT"),
        ("engagement", "OPEN"),
    ]
    for message in messages:
        record = by_id[message.activity_id]
        assert message.payload == record.published()
        assert message.webhook_id == f"msg_{record.id}_{message.endpoint_id}"
        assert message.account_id == 12
    assert {message.endpoint_id for message in messages} == {clicks.id, engagement.id}


def test_an_activity_twice_in_one_batch_is_queued_once_per_endpoint(stack: Stack) -> None:
    """An activity written twice (SNS delivering one event twice to the SES events function, say) comes
    twice in one batch: its copies would both be at their first receipt at once, and both POSTed."""
    seed_account(12)
    endpoint(12, "opens", [ActivityKind.OPEN])
    endpoint(12, "everything", list(ActivityKind))
    records = [activity(12, ActivityKind.OPEN, n) for n in (1, 2)]
    activity_log().put(records)
    batch = StreamTail(stack, "ActivityTable").next_event()
    batch["Records"].insert(1, batch["Records"][0])

    from functions.fanout.app import handler

    assert handler(batch, FakeLambdaContext()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    queued = [
        json.loads(message["Body"])["webhook_id"]
        for message in receive_all(stack.physical["DeliveryQueue"]["QueueUrl"])
    ]
    assert sorted(queued) == sorted(
        f"msg_{record.id}_{name}" for record in records for name in ("opens", "everything")
    )


def test_a_batch_of_n_records_makes_ceil_n_over_10_sqs_calls_and_one_read_per_account(
    stack: Stack, aws_calls: Counter[str]
) -> None:
    for account_id in (12, 13, 14):
        seed_account(account_id)
        endpoint(account_id, f"everything-{account_id}", list(ActivityKind))
    activity_log().put([activity(12 + n % 3, ActivityKind.OPEN, n) for n in range(25)])
    event = StreamTail(stack, "ActivityTable").next_event()
    aws_calls.clear()

    from functions.fanout.app import handler

    handler(event, FakeLambdaContext())  # type: ignore[arg-type]

    # The endpoints' health: one read of them all.
    assert aws_calls == Counter(
        {"sqs.SendMessageBatch": math.ceil(25 / 10), "dynamodb.Query": 3, "dynamodb.BatchGetItem": 1}
    )
    assert len(receive_all(stack.physical["DeliveryQueue"]["QueueUrl"])) == 25


def test_deliveries_to_an_endpoint_whose_breaker_is_open_are_parked_until_its_wait_is_over(
    stack: Stack, aws_calls: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_account(12)
    endpoint(12, "down", [ActivityKind.OPEN])
    endpoint(12, "up", [ActivityKind.OPEN])
    now = clock.now()
    health_records().open((12, "down"), now, now + timedelta(seconds=120))
    activity_log().put([activity(12, ActivityKind.OPEN, n) for n in range(30)])
    tail = StreamTail(stack, "ActivityTable")
    aws_calls.clear()

    answer, messages = fan_out(stack, tail)

    # Only the healthy endpoint's messages are queued; the others are parked in one write, and the endpoint's
    # health counts them.
    assert answer == {"batchItemFailures": []}
    assert [message.endpoint_id for message in messages] == ["up"] * 30
    [batch] = parked_deliveries().batches((12, "down"))
    parked = [DeliveryMessage.of(message) for message in batch.messages]
    assert [message.activity_id for message in parked] == [message.activity_id for message in messages]
    assert {message.endpoint_id for message in parked} == {"down"}
    assert aws_calls["dynamodb.PutItem"] == 1
    assert aws_calls["sqs.SendMessageBatch"] == 3
    assert health_records().read([(12, "down")])[(12, "down")].parked == 30

    # Once the wait is over, the next delivery is queued, to be the breaker's probe.
    monkeypatch.setattr(mailhooks.clock, "now", lambda: now + timedelta(seconds=121))
    activity_log().put([activity(12, ActivityKind.OPEN, 30)])
    _, after = fan_out(stack, tail)
    assert sorted(message.endpoint_id for message in after) == ["down", "up"]


def test_an_endpoint_saved_takes_effect_for_the_next_activity(stack: Stack) -> None:
    seed_account(12)
    tail = StreamTail(stack, "ActivityTable")
    activity_log().put([activity(12, ActivityKind.OPEN, 1)])
    _, before = fan_out(stack, tail)
    endpoint(12, "new", [ActivityKind.OPEN])
    activity_log().put([activity(12, ActivityKind.OPEN, 2)])

    _, after = fan_out(stack, tail)

    assert before == []
    assert [json.loads(message.body())["email"] for message in after] == ["person2@example.com"]
