"""An SQS event source mapping, as Lambda runs one: receive a batch (within the batching window), drop what
the filter does not let through, invoke the function, and delete what it processed.

With ReportBatchItemFailures the messages it names stay on the queue, and the others are deleted; without,
a batch is all or nothing. When the function raises, the whole batch stays, to come back once its visibility
timeout runs out; the queue's redrive policy, which moto applies on receipt, moves a message to its
dead-letter queue after maxReceiveCount receipts.
"""

import base64
import json
import threading
import time
from typing import Any

import boto3

from devstack.functions import Functions
from devstack.polling import POLL_INTERVAL, Poller, invoke, report
from devstack.template import REGION
from devstack.triggers import QueueTrigger

# SQS's most messages per receive.
RECEIVE_MAX = 10


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda's SQS event has it."""
    converted: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return converted


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: _attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _filtered(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a filter pattern sees it: a JSON body as the object it is."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except ValueError:
        return record


class QueuePoller(Poller):
    def __init__(
        self, trigger: QueueTrigger, functions: Functions, stopping: threading.Event, number: int = 1
    ) -> None:
        super().__init__(f"{trigger.function}.{trigger.event}#{number}", stopping)
        self.trigger = trigger
        self.functions = functions
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queue_url = self.sqs.get_queue_url(QueueName=trigger.queue_arn.rsplit(":", 1)[1])["QueueUrl"]

    def _receive(self, count: int) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(RECEIVE_MAX, count),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return [dict(message) for message in answer.get("Messages", [])]

    def _batch(self) -> list[dict[str, Any]]:
        """Messages up to the batch size, gathered for at most the batching window from the first."""
        batch = self._receive(self.trigger.batch_size)
        deadline = time.monotonic() + self.trigger.window
        while batch and len(batch) < self.trigger.batch_size and time.monotonic() < deadline:
            more = self._receive(self.trigger.batch_size - len(batch))
            batch += more
            if not more and self.stopping.wait(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic()))):
                break
        return batch

    def _remove(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), RECEIVE_MAX):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages[start : start + RECEIVE_MAX])
                ],
            )

    def _failed(self, records: list[dict[str, Any]], result: Any) -> set[str]:
        """The message ids of the records the function reported failed; all of them for an answer that
        names messages not in the batch."""
        if not self.trigger.report_failures:
            return set()
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        ids = {record["messageId"] for record in records}
        named = {
            failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures or []
        }
        if not named <= ids:
            report(f"{self.name}: batchItemFailures name messages not in the batch: all failed ({named})")
            return ids
        return {str(identifier) for identifier in named}

    def _passes(self, record: dict[str, Any]) -> bool:
        return self.trigger.filter is None or self.trigger.filter.matches(_filtered(record))

    def poll(self) -> bool:
        messages = self._batch()
        if not messages:
            return False
        records = [sqs_record(message, self.trigger.queue_arn) for message in messages]
        passing = {record["messageId"] for record in records if self._passes(record)}
        # Lambda deletes the messages its filter drops.
        self._remove([message for message in messages if message["MessageId"] not in passing])
        kept = [record for record in records if record["messageId"] in passing]
        if not kept:
            return True
        what = f"a batch of {len(kept)} messages of {self.trigger.source}"
        attempt = invoke(self.functions, self.trigger.function, {"Records": kept}, what)
        if not attempt.failed:
            done = passing - self._failed(kept, attempt.result)
            self._remove([message for message in messages if message["MessageId"] in done])
        return True
