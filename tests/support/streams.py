"""Lambda events built from what moto's streams and queues really hold, as Lambda would deliver them: the
records shaped by the local stack's own code (devstack.streams.stream_record, devstack.queues.sqs_record)."""

from collections.abc import Sequence
from typing import Any

import boto3

from devstack.queues import sqs_record
from devstack.streams import stream_record
from devstack.template import Stack


class StreamTail:
    """Reads a table's DynamoDB stream from its start; each batch holds what was written since the last."""

    def __init__(self, stack: Stack, table: str) -> None:
        self.streams = boto3.client("dynamodbstreams")
        self.arn = stack.physical[table]["StreamArn"]
        self.iterators: dict[str, str] = {}

    def next_event(self) -> dict[str, Any]:
        """The new records, as the Lambda event of one batch."""
        records: list[dict[str, Any]] = []
        for shard in self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            iterator = (
                self.iterators.get(shard["ShardId"])
                or self.streams.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            page = self.streams.get_records(ShardIterator=iterator)
            self.iterators[shard["ShardId"]] = page["NextShardIterator"]
            records.extend(stream_record(dict(record), self.arn) for record in page["Records"])
        return {"Records": records}


def receive_all(queue_url: str, sqs: Any = None, **options: Any) -> list[dict[str, Any]]:
    """Every message on a queue, with all its attributes (each received once, left in flight); options
    are receive_message's (a VisibilityTimeout, MessageAttributeNames)."""
    sqs = sqs or boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], **options
    ).get("Messages", []):
        messages.extend(batch)
    return messages


def sqs_event(queue_arn: str, messages: Sequence[Any]) -> dict[str, Any]:
    """The event Lambda's SQS trigger makes of messages received, with all attributes, from a queue."""
    return {"Records": [sqs_record(message, queue_arn) for message in messages]}
