"""The operator's replay of the fan-out failure queue: each stream batch the fan-out gave up on (after its
trigger's retries), fanned out again from the stream, which keeps its records for 24 hours.

Lambda describes a skipped batch to the queue by where it lies in the stream (shard and sequence numbers),
not by its records: they are read back from the stream. A batch fanned out in full leaves the queue; one
that fails again, or that the stream no longer holds, stays and is reported. Replaying is safe: a delivery
fanned out twice is deduplicated at delivery by its webhook id (a replayed message takes its delivery's
lease even at its first receipt).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from mailhooks.aws import aws
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.fanout import fan_out
from mailhooks.settings import settings
from mailhooks.store.activity import activity_from_stream_image

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

# How long a batch being replayed is hidden from the rest of the run, and from another replay.
_REPLAY_SECONDS = 300


@dataclass
class Replay:
    batches: int = 0
    activities: int = 0
    # Why each batch that stays in the queue stays there.
    left: list[str] = field(default_factory=list)


class _Gone(Exception):
    """The stream no longer holds the batch."""


def _after(sequence: str, last: str) -> bool:
    return int(sequence) > int(last)


def _batch(streams: Any, info: dict[str, Any]) -> list[tuple[str, ActivityRecord]]:
    """The new activities of a described batch, in stream order."""
    try:
        iterator: str | None = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except ClientError as error:  # the stream or shard expired, or its records were trimmed
        raise _Gone(error.response.get("Error", {}).get("Message", str(error))) from None
    found: list[tuple[str, ActivityRecord]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator)
        for record in page["Records"]:
            sequence = record["dynamodb"]["SequenceNumber"]
            if _after(sequence, info["endSequenceNumber"]):
                return found
            if record["eventName"] == "INSERT":
                found.append((sequence, activity_from_stream_image(record["dynamodb"]["NewImage"])))
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return found


def _described() -> Iterator["MessageTypeDef"]:
    """Each message of the failure queue once, hidden from others while it is replayed."""
    while (
        messages := aws()
        .sqs.receive_message(
            QueueUrl=settings().fan_out_failure_queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=_REPLAY_SECONDS,
        )
        .get("Messages", [])
    ):
        yield from messages


def replay_failed_fan_outs() -> Replay:
    replay = Replay()
    queue_url = settings().fan_out_failure_queue_url
    streams = boto3.client("dynamodbstreams")
    kept: list[str] = []
    for message in _described():
        info = json.loads(message["Body"])["DDBStreamBatchInfo"]
        where = f"records {info['startSequenceNumber']} to {info['endSequenceNumber']} of {info['shardId']}"
        try:
            activities = _batch(streams, info)
        except _Gone as gone:
            replay.left.append(f"{where}: the stream no longer holds them ({gone})")
            kept.append(message["ReceiptHandle"])
            continue
        if fan_out(activities, replayed=True) is not None:
            replay.left.append(f"{where}: not every delivery could be queued; replay again")
            kept.append(message["ReceiptHandle"])
            continue
        aws().sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        replay.batches += 1
        replay.activities += len(activities)
    # Visible again once the run is over (not during it, which would read them again): for the next replay,
    # and for the queue's alarm.
    for handle in kept:
        aws().sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return replay
