"""Lambda's event source mappings as template.yaml configures them, run in the test's own process over what
moto's stream and queues really hold, bounded in invocations and in time.

- StreamTrigger (FanOutFunction's NewActivity): INSERT records in batches of up to 100, in stream order. A
  batch whose answer reports an item failure is invoked again from that record on; a batch whose invocation
  raises is split in two (BisectBatchOnFunctionError) and each half invoked again; after 10 retries
  (MaximumRetryAttempts) a batch goes to the on-failure destination, kept here in `given_up`.
- QueueTrigger (DeliverFunction's Queued): up to 10 messages a batch, received with all their attributes.
  The messages the answer does not report failed are deleted. When the invocation raises, none is deleted
  and the whole batch comes back once its visibility timeout has passed: that wait is skipped by making
  them visible at once, which is all that passing time would change for them.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3

from devstack.template import Stack
from tests.helpers import FakeLambdaContext
from tests.streams import StreamTail, acknowledge, sqs_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class Crash(BaseException):
    """An invocation dying mid-way, as from a timeout or running out of memory: injected by a test, and
    like those beyond any `except Exception` of the handler."""


class Exhausted(AssertionError):
    """A trigger ran out of its bound of invocations or of time before its source was drained."""


@dataclass
class StreamTrigger:
    stack: Stack
    handler: Handler
    table: str = "ActivityTable"
    batch_size: int = 100
    max_retries: int = 10
    invocations: int = 0
    errors: list[BaseException] = field(default_factory=list)
    given_up: list[list[dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tail = StreamTail(self.stack, self.table)

    def _records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while page := self.tail.next_event()["Records"]:
            records.extend(record for record in page if record["eventName"] == "INSERT")
        return records

    def drain(self, max_invocations: int = 1000, after_each: Callable[[], object] | None = None) -> int:
        """Invoke the handler on every record written since the last drain, calling after_each after each
        invocation (another trigger's turn: Lambda runs them side by side); answers how many records."""
        records = self._records()
        pending = deque(
            (records[start : start + self.batch_size], 0) for start in range(0, len(records), self.batch_size)
        )
        while pending:
            batch, retries = pending.popleft()
            if self.invocations >= max_invocations:
                raise Exhausted(f"{max_invocations} invocations did not drain the stream")
            self.invocations += 1
            try:
                answer = self.handler({"Records": batch}, FakeLambdaContext())
            except (Exception, Crash) as error:
                answer = None
                self.errors.append(error)
            if after_each is not None:
                after_each()
            if answer is None:
                if retries >= self.max_retries:
                    self.given_up.append(batch)
                elif len(batch) > 1:
                    half = len(batch) // 2
                    pending.extendleft([(batch[half:], retries + 1), (batch[:half], retries + 1)])
                else:
                    pending.appendleft((batch, retries + 1))
                continue
            reported = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
            if not reported:
                continue
            # Lambda takes the lowest reported sequence number as the checkpoint.
            start = min(
                index
                for index, record in enumerate(batch)
                if record["dynamodb"]["SequenceNumber"] in reported
            )
            if retries >= self.max_retries:
                self.given_up.append(batch[start:])
            else:
                pending.appendleft((batch[start:], retries + 1))
        return len(records)


@dataclass
class QueueTrigger:
    stack: Stack
    handler: Handler
    queue: str = "DeliveryQueue"
    batch_size: int = 10
    invocations: int = 0
    errors: list[BaseException] = field(default_factory=list)
    # Every message handed to the handler, by its id (a message received again counts once).
    message_ids: set[str] = field(default_factory=set)
    # Pollers running at once share the counts.
    _counting: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # A session of its own: hooks a test registers on the default one, for the functions' clients, do not
        # reach the trigger's.
        self.sqs = boto3.session.Session().client("sqs")
        self.url = self.stack.physical[self.queue]["QueueUrl"]
        self.arn = self.stack.physical[self.queue]["Arn"]

    def in_flight(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def invoke_once(self) -> bool:
        """One batch, if a message is visible: receive, invoke, delete what succeeded. False if none was."""
        messages: list[Any] = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=self.batch_size, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return False
        with self._counting:
            self.invocations += 1
            self.message_ids.update(message["MessageId"] for message in messages)
        try:
            answer = self.handler(sqs_event(self.arn, messages), FakeLambdaContext())
        except (Exception, Crash) as error:
            with self._counting:
                self.errors.append(error)
            # The batch's visibility timeout passes: every message of it is visible again.
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                    for n, message in enumerate(messages)
                ],
            )
            return True
        acknowledge(self.sqs, self.url, messages, answer)
        return True

    def drain(self, max_invocations: int, seconds: float, concurrency: int = 1) -> int:
        """Invoke batch after batch until the queue holds nothing, visible or not; a message waiting out a
        retry delay is waited for. With a concurrency above 1, that many invocations run at once, as
        Lambda's pollers run them (each in a container of its own there; here they share this process).
        Answers how many invocations this drain made."""
        deadline = time.monotonic() + seconds
        made = 0
        lock = threading.Lock()

        def invoke_until_drained() -> None:
            nonlocal made
            while True:
                with lock:
                    if made >= max_invocations or time.monotonic() > deadline:
                        raise Exhausted(f"the queue was not drained in {made} invocations and {seconds:g} s")
                if self.invoke_once():
                    with lock:
                        made += 1
                elif self.in_flight():
                    time.sleep(0.05)
                else:
                    return

        with ThreadPoolExecutor(max_workers=concurrency) as pollers:
            for poller in [pollers.submit(invoke_until_drained) for _ in range(concurrency)]:
                poller.result()
        return made
