"""The operator replays the fan-out failure queue: the stream batches the fan-out gave up on are read back
from the stream and fanned out again (issue 15)."""

import json
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from functions.fanout.app import handler
from mailhooks.__main__ import main
from mailhooks.settings import settings
from mailhooks.store.activity import activity_log
from tests.support.pipeline import activities, add_endpoint, configure, webhook_id
from tests.support.streams import receive_all
from tests.support.triggers import StreamTrigger

# A handler that dies leaves Powertools no metric to publish, and it says so.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")


def queued(queue_url: str) -> list[dict[str, Any]]:
    return [json.loads(message["Body"]) for message in receive_all(queue_url)]


def test_a_replay_fans_out_again_what_a_broken_fan_out_gave_up_on(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, monkeypatch, [5], timeout=1)
    add_endpoint("ep_replay", "https://hooks.example.com/")
    written = activities("replay", 3)
    activity_log().put(written)
    broken = True

    def fan_out(event: dict[str, Any], context: Any) -> Any:
        if broken:
            raise RuntimeError("a deploy that cannot import its code")
        return handler(event, context)

    trigger = StreamTrigger(stack, fan_out)
    trigger.drain()
    assert sum(len(records) for records in trigger.given_up) == len(written)
    assert queued(settings().delivery_queue_url) == []
    broken = False

    assert main(["fanout", "replay"]) == 0

    replayed = capsys.readouterr().out
    assert f"{len(trigger.given_up)} batches replayed: {len(written)} activities fanned out again" in replayed
    delivered = {message["webhook_id"] for message in queued(settings().delivery_queue_url)}
    assert delivered == {webhook_id(activity, "ep_replay") for activity in written}
    assert receive_all(settings().fan_out_failure_queue_url) == []


SHARD, FIRST, LAST = (
    "shardId-00000001700000000000-00000000",
    "1100000000017454423009",
    "1100000000017454423010",
)


def test_a_batch_the_stream_no_longer_holds_stays_in_the_queue_and_is_reported(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # The stream of a table since replaced: the stream expired with it, as every stream's records do in 24 h.
    stream_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/ReplacedTable/stream/2026-11-01T00:00:00.000"
    described = {
        "DDBStreamBatchInfo": {
            "shardId": SHARD,
            "startSequenceNumber": FIRST,
            "endSequenceNumber": LAST,
            "batchSize": 2,
            "streamArn": stream_arn,
        }
    }
    boto3.client("sqs").send_message(
        QueueUrl=settings().fan_out_failure_queue_url, MessageBody=json.dumps(described)
    )

    assert main(["fanout", "replay"]) == 0

    replayed = capsys.readouterr().out
    assert "0 batches replayed" in replayed
    where = f"records {FIRST} to {LAST} of {SHARD}"
    assert f"1 left in the queue:\n  {where}: the stream no longer holds them" in replayed
    (kept,) = receive_all(settings().fan_out_failure_queue_url)
    assert json.loads(kept["Body"]) == described
