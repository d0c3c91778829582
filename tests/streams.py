"""Lambda events built from what moto's streams and queues really hold, as Lambda would deliver them."""

from typing import Any

import boto3

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
            for record in page["Records"]:
                record["dynamodb"].pop("ApproximateCreationDateTime", None)
                records.append({**record, "eventSourceARN": self.arn, "awsRegion": "us-east-1"})
        return {"Records": records}


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message on a queue (each received once, left in flight)."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", []):
        messages.extend(batch)
    return messages
