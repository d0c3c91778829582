"""A DynamoDB stream event source mapping, as Lambda runs one: read the stream's shards, keep the records
the filter lets through, invoke the function with batches of them, and settle each batch.

Settling a batch: a batch the function answers without error and without item failures is done. With
ReportBatchItemFailures, the lowest sequence number it reports is where the batch is retried from (what is
before it is done); an answer naming a record that is not in the batch fails it whole. An error fails the
whole batch, which BisectBatchOnFunctionError splits in two halves retried one after the other. Each retry
of a record counts towards MaximumRetryAttempts; once they are spent, the failed records are skipped, and
the OnFailure destination gets the description of their batch (not the records), as Lambda sends it.
"""

import base64
import json
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3

from devstack.functions import Functions
from devstack.polling import Invocation, Poller, invoke, report
from devstack.template import REGION
from devstack.triggers import StreamTrigger

# A pause between attempts at the same records, so that a record that always fails does not spin.
RETRY_PAUSE = 0.2
# moto keeps every shard iterator it hands out, and a poll four times a second takes a new one each time:
# when a read finds nothing, the same iterator is read again instead, for up to this many seconds (an
# iterator stays valid on AWS for 15 minutes).
ITERATOR_LIFETIME = 600.0


def _lambda_json(value: Any) -> Any:
    """A stream record as boto3 reads it, as Lambda's event has it: binary values in base64, times as
    seconds since the epoch."""
    if isinstance(value, dict):
        return {key: _lambda_json(inner) for key, inner in value.items()}
    if isinstance(value, list | set):
        return [_lambda_json(inner) for inner in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


def stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    return {**_lambda_json(record), "awsRegion": REGION, "eventSourceARN": stream_arn}


def _arrival(record: dict[str, Any]) -> str:
    seconds = record["dynamodb"].get("ApproximateCreationDateTime", 0)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def failure_record(
    trigger: StreamTrigger,
    function_arn: str,
    shard_id: str,
    records: Sequence[dict[str, Any]],
    attempt: Invocation,
    invocations: int,
) -> dict[str, Any]:
    """What Lambda sends an OnFailure destination when it skips stream records: where they are."""
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if attempt.failed:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invocations,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(records[0]),
            "approximateArrivalOfLastRecord": _arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": trigger.stream_arn,
        },
    }


@dataclass
class _Shard:
    shard_id: str
    iterator: str
    taken_at: float
    pending: list[dict[str, Any]]
    # When the oldest pending record was read: the batching window runs from then.
    since: float = 0.0


class StreamPoller(Poller):
    def __init__(self, trigger: StreamTrigger, functions: Functions, stopping: threading.Event) -> None:
        super().__init__(f"{trigger.function}.{trigger.event}", stopping)
        self.trigger = trigger
        self.functions = functions
        self.function_arn = functions.by_id[trigger.function].arn
        self.streams = boto3.client("dynamodbstreams", region_name=REGION)
        # Where Lambda starts is where the mapping starts: here, now.
        self.shards = [
            self._shard(shard["ShardId"])
            for shard in self.streams.describe_stream(StreamArn=trigger.stream_arn)["StreamDescription"][
                "Shards"
            ]
        ]

    def _shard(self, shard_id: str) -> _Shard:
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.trigger.stream_arn,
            ShardId=shard_id,
            ShardIteratorType=self.trigger.starting_position,
        )["ShardIterator"]
        return _Shard(shard_id, iterator, time.monotonic(), [])

    def _read(self, shard: _Shard) -> None:
        page = self.streams.get_records(ShardIterator=shard.iterator, Limit=1000)
        if page["Records"] or time.monotonic() - shard.taken_at > ITERATOR_LIFETIME:
            shard.iterator, shard.taken_at = page["NextShardIterator"], time.monotonic()
        records = [stream_record(dict(record), self.trigger.stream_arn) for record in page["Records"]]
        kept = [
            record for record in records if not self.trigger.filter or self.trigger.filter.matches(record)
        ]
        if kept and not shard.pending:
            shard.since = time.monotonic()
        shard.pending += kept

    def poll(self) -> bool:
        busy = False
        for shard in self.shards:
            self._read(shard)
            full = len(shard.pending) >= self.trigger.batch_size
            if shard.pending and (full or time.monotonic() - shard.since >= self.trigger.window):
                batch = shard.pending[: self.trigger.batch_size]
                self._settle(shard.shard_id, batch, retries=0)
                del shard.pending[: len(batch)]
                shard.since = time.monotonic()
                busy = True
        return busy

    def _failed_from(self, batch: list[dict[str, Any]], attempt: Invocation) -> int | None:
        """Where the batch failed from (an index into it), or None when it is done."""
        if attempt.failed:
            return 0
        if not self.trigger.report_failures:
            return None
        result = attempt.result
        failures = result.get("batchItemFailures") if isinstance(result, dict) else None
        if not failures:
            return None
        positions = {record["dynamodb"]["SequenceNumber"]: index for index, record in enumerate(batch)}
        named = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
        if not all(identifier in positions for identifier in named):
            report(f"{self.name}: batchItemFailures name records not in the batch ({named}): all failed")
            return 0
        return min(positions[identifier] for identifier in named)

    def _settle(self, shard_id: str, batch: list[dict[str, Any]], retries: int) -> None:
        while not self.stopping.is_set():
            what = f"a batch of {len(batch)} records of {self.trigger.source}'s stream"
            attempt = invoke(self.functions, self.trigger.function, {"Records": batch}, what)
            start = self._failed_from(batch, attempt)
            if start is None:
                return
            failing = batch[start:]
            if 0 <= self.trigger.max_retries <= retries:
                self._give_up(shard_id, failing, attempt, retries + 1)
                return
            retries += 1
            self.stopping.wait(RETRY_PAUSE)
            if attempt.failed and self.trigger.bisect and len(failing) > 1:
                half = len(failing) // 2
                self._settle(shard_id, failing[:half], retries)
                self._settle(shard_id, failing[half:], retries)
                return
            batch = failing

    def _give_up(
        self, shard_id: str, records: list[dict[str, Any]], attempt: Invocation, invocations: int
    ) -> None:
        first, last = records[0]["dynamodb"]["SequenceNumber"], records[-1]["dynamodb"]["SequenceNumber"]
        destination = self.trigger.on_failure
        report(
            f"{self.name}: records {first} to {last} skipped after {invocations} attempts"
            + (f"; described to {destination}" if destination else "")
        )
        if destination is None:
            return
        body = json.dumps(
            failure_record(self.trigger, self.function_arn, shard_id, records, attempt, invocations)
        )
        if destination.startswith("arn:aws:sqs:"):
            sqs = boto3.client("sqs", region_name=REGION)
            url = sqs.get_queue_url(QueueName=destination.rsplit(":", 1)[1])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=body)
        else:
            boto3.client("sns", region_name=REGION).publish(TopicArn=destination, Message=body)
