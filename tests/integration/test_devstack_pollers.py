"""The local stack's pollers of the template's triggers, on moto, in this process: streams bisected and
retried, queue batches settled, topics delivered."""

import dataclasses
import json
import threading
from typing import Any

import boto3
import pytest

from devstack import streams
from devstack.filters import EventFilter
from devstack.queues import QueuePoller
from devstack.streams import StreamPoller
from devstack.template import REGION, Stack
from devstack.topics import TopicPoller
from devstack.triggers import QueueTrigger, ScheduleTrigger, StreamTrigger, TopicTrigger, triggers
from tests.support.fake_functions import Behaviour, FakeFunctions, fails
from tests.support.helpers import load_event

# The template's triggers, polled on moto


def _trigger(stack: Stack, function: str) -> Any:
    return next(trigger for trigger in triggers(stack).found if trigger.function == function)


def test_the_triggers_are_the_template_events(stack: Stack) -> None:
    fan_out = _trigger(stack, "FanOutFunction")
    assert isinstance(fan_out, StreamTrigger)
    assert (fan_out.source, fan_out.starting_position, fan_out.batch_size, fan_out.window) == (
        "ActivityTable",
        "TRIM_HORIZON",
        100,
        1.0,
    )
    assert (fan_out.report_failures, fan_out.bisect, fan_out.max_retries) == (True, True, 10)
    assert fan_out.on_failure == stack.physical["FanOutFailureQueue"]["Arn"]
    assert fan_out.filter == EventFilter(({"eventName": ["INSERT"]},))
    deliver = _trigger(stack, "DeliverFunction")
    assert isinstance(deliver, QueueTrigger)
    assert (deliver.source, deliver.batch_size, deliver.report_failures, deliver.max_concurrency) == (
        "DeliveryQueue",
        10,
        True,
        50,
    )
    ses_events = _trigger(stack, "SesEventsFunction")
    assert isinstance(ses_events, TopicTrigger)
    assert ses_events.topic_arn == stack.physical["SesEventsTopic"]["TopicArn"]
    review = _trigger(stack, "EndpointHealthFunction")
    assert isinstance(review, ScheduleTrigger)
    assert review.every == 300


def _ids(event: dict[str, Any]) -> list[str]:
    return [record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"]]


def _stream_poller(
    stack: Stack, behaviour: Behaviour, monkeypatch: pytest.MonkeyPatch, **changes: Any
) -> tuple[StreamPoller, FakeFunctions]:
    monkeypatch.setattr(streams, "RETRY_PAUSE", 0)
    functions = FakeFunctions(FanOutFunction=behaviour)
    trigger = dataclasses.replace(_trigger(stack, "FanOutFunction"), window=0.0, **changes)
    return StreamPoller(trigger, functions, threading.Event()), functions  # type: ignore[arg-type]


def _put_activities(*ids: str) -> None:
    table = boto3.resource("dynamodb", region_name=REGION).Table("ActivityTable")
    for activity_id in ids:
        table.put_item(Item={"id": activity_id})


def _messages(stack: Stack, queue: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    answer = sqs.receive_message(QueueUrl=stack.physical[queue]["QueueUrl"], MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def test_a_failing_stream_batch_is_bisected_and_its_poison_record_described_to_the_failure_queue(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fan_out(event: dict[str, Any]) -> dict[str, Any]:
        if "poison" in _ids(event):
            raise ValueError("poison")
        return {"batchItemFailures": []}

    poller, functions = _stream_poller(stack, fan_out, monkeypatch, max_retries=2)
    _put_activities("a", "b", "poison", "c")

    assert poller.poll() is True

    assert [_ids(event) for event in functions.events("FanOutFunction")] == [
        ["a", "b", "poison", "c"],
        ["a", "b"],
        ["poison", "c"],
        ["poison"],
        ["c"],
    ]
    (described,) = _messages(stack, "FanOutFailureQueue")
    poison = functions.events("FanOutFunction")[-2]["Records"][0]["dynamodb"]["SequenceNumber"]
    info = described["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (poison, poison, 1)
    assert info["streamArn"] == stack.physical["ActivityTable"]["StreamArn"]
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["requestContext"]["approximateInvokeCount"] == 3
    assert described["responseContext"]["functionError"] == "Unhandled"
    assert poller.poll() is False


def test_a_stream_batch_is_retried_from_the_first_failure_it_reports(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["c", None])

    def fan_out(event: dict[str, Any]) -> dict[str, Any]:
        failed = next(answers)
        records = {_ids({"Records": [record]})[0]: record for record in event["Records"]}
        sequence = records[failed]["dynamodb"]["SequenceNumber"] if failed else None
        return {"batchItemFailures": [{"itemIdentifier": sequence}] if sequence else []}

    poller, functions = _stream_poller(stack, fan_out, monkeypatch)
    _put_activities("a", "b", "c", "d")
    poller.poll()
    assert [_ids(event) for event in functions.events("FanOutFunction")] == [["a", "b", "c", "d"], ["c", "d"]]


def test_the_stream_event_has_lambda_shape_and_the_filter_drops_changes(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    poller, functions = _stream_poller(stack, lambda event: {"batchItemFailures": []}, monkeypatch)
    _put_activities("a", "a")  # an INSERT, then a MODIFY
    poller.poll()
    ((record,),) = [event["Records"] for event in functions.events("FanOutFunction")]
    assert record["eventName"] == "INSERT"
    assert {"eventID", "eventVersion", "eventSource", "awsRegion", "eventSourceARN"} <= set(record)
    assert record["eventSourceARN"] == stack.physical["ActivityTable"]["StreamArn"]
    assert {"Keys", "NewImage", "SequenceNumber", "SizeBytes", "StreamViewType"} <= set(record["dynamodb"])
    json.dumps(record)


def _queue_state(stack: Stack, queue: str) -> tuple[int, int]:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=stack.physical[queue]["QueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_a_queue_batch_deletes_what_succeeded_and_leaves_what_failed(stack: Stack) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.physical["DeliveryQueue"]["QueueUrl"]
    answers: list[Behaviour] = [
        lambda event: {
            "batchItemFailures": [
                {"itemIdentifier": record["messageId"]}
                for record in event["Records"]
                if record["body"] == "b"
            ]
        },
        fails("the function failed"),
    ]
    functions = FakeFunctions(DeliverFunction=lambda event: answers.pop(0)(event))
    poller = QueuePoller(_trigger(stack, "DeliverFunction"), functions, threading.Event())  # type: ignore[arg-type]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    assert poller.poll() is True
    assert _queue_state(stack, "DeliveryQueue") == (0, 1)
    (event,) = functions.events("DeliverFunction")
    sample = load_event("sqs_campaign_queued.json")["Records"][0]
    assert set(event["Records"][0]) == set(sample)
    assert set(sample["attributes"]) <= set(event["Records"][0]["attributes"])

    sqs.send_message(QueueUrl=url, MessageBody="d")
    assert poller.poll() is True
    # The function raised: the batch stays, to come back after the visibility timeout.
    assert _queue_state(stack, "DeliveryQueue") == (0, 2)
    assert poller.poll() is False


def test_a_publication_to_a_topic_reaches_its_function_as_an_sns_event(stack: Stack) -> None:
    functions = FakeFunctions(SesEventsFunction=lambda event: None)
    poller = TopicPoller(_trigger(stack, "SesEventsFunction"), functions, threading.Event())  # type: ignore[arg-type]
    topic = stack.physical["SesEventsTopic"]["TopicArn"]
    boto3.client("sns", region_name=REGION).publish(TopicArn=topic, Message='{"eventType": "Open"}')

    assert poller.poll() is True

    ((record,),) = [event["Records"] for event in functions.events("SesEventsFunction")]
    sample = load_event("sns_ses_open.json")["Records"][0]
    assert set(record) == set(sample)
    assert set(record["Sns"]) == set(sample["Sns"])
    assert (record["Sns"]["TopicArn"], record["Sns"]["Message"]) == (topic, '{"eventType": "Open"}')
    assert record["EventSubscriptionArn"] == poller.subscription_arn
    assert poller.poll() is False
