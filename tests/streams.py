"""Lambda events built from what moto's streams and queues really hold, as Lambda would deliver them."""

from typing import Any

import boto3

from devstack.template import Stack
from tests.helpers import FakeLambdaContext


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


def sqs_event(queue_arn: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The event Lambda's SQS trigger makes of messages received, with all attributes, from a queue."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def run_queue(stack: Stack, queue: str, handler: Any, batch_size: int = 10, sqs: Any = None) -> int:
    """Invoke handler on the queue's messages, batch after batch, until none is visible; as the trigger does,
    delete each message the handler did not report failed. Answers how many batches ran. A caller that
    polls again and again passes its own SQS client: a new client costs more than a receive."""
    sqs = sqs or boto3.client("sqs")
    url = stack.physical[queue]["QueueUrl"]
    batches = 0
    while messages := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=batch_size, AttributeNames=["All"]
    ).get("Messages", []):
        answer = handler(sqs_event(stack.physical[queue]["Arn"], messages), FakeLambdaContext())
        acknowledge(sqs, url, messages, answer)
        batches += 1
    return batches


def acknowledge(sqs: Any, url: str, messages: list[Any], answer: dict[str, Any]) -> list[Any]:
    """As Lambda's event source does after an invocation: delete, in one call, each message of the batch
    that the answer does not report failed. Answers those deleted."""
    failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    done = [message for message in messages if message["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(done)
            ],
        )
    return done
