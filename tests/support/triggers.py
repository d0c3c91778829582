"""Lambda's event source mappings as template.yaml configures them, run in the test's own process over what
moto's stream and queues really hold, bounded in invocations and in time.

They are the local stack's pollers (devstack.streams.StreamPoller, devstack.queues.QueuePoller), with the
settings devstack.triggers reads from the template, driven one poll at a time by the test instead of by a
thread, and with time skipped where the test would only wait:

- StreamTrigger (FanOutFunction's stream, by default): the records the template's filter lets through, in
  batches of its BatchSize, in stream order. A batch whose answer reports an item failure is invoked again
  from that record on; a batch whose invocation raises is split in two (BisectBatchOnFunctionError) and
  each half invoked again; after MaximumRetryAttempts a batch goes to the on-failure destination, and is
  kept in `given_up` too. The poller's pause between retries is skipped.
- QueueTrigger (the DeliveryQueue's function, by default): batches of the template's BatchSize, received
  with all their attributes. The messages the answer does not report failed are deleted. When the
  invocation raises, none is deleted and the whole batch comes back once its visibility timeout has passed:
  that wait is skipped by making them visible at once, which is all that passing time would change for
  them.
"""

import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import boto3

from devstack import triggers as template_triggers
from devstack.polling import Invocation
from devstack.queues import QueuePoller
from devstack.streams import StreamPoller
from devstack.template import ACCOUNT_ID, REGION, Stack
from tests.support.helpers import FakeLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


class Crash(BaseException):
    """An invocation dying mid-way, as from a timeout or running out of memory: injected by a test, and
    like those beyond any `except Exception` of the handler."""


class Exhausted(AssertionError):
    """A trigger ran out of its bound of invocations or of time before its source was drained."""


class _Stop(BaseException):
    """Carries an error of the trigger itself (not of the function) out through the poller, which takes
    every Exception for the function's."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class _NoWait(threading.Event):
    """A `stopping` event that is never set, and whose waits (the pause between retries) take no time."""

    def wait(self, timeout: float | None = None) -> bool:
        return False


def template_trigger(stack: Stack, function: str | None = None, source: str | None = None) -> Any:
    """The event source mapping template.yaml gives `function`, or the one that reads `source` (a table or
    a queue, by logical id), as devstack reads it."""
    found = [
        trigger
        for trigger in template_triggers.triggers(stack).found
        if (function is None or trigger.function == function)
        and (source is None or getattr(trigger, "source", None) == source)
    ]
    if len(found) != 1:
        raise LookupError(f"template.yaml has {len(found)} triggers of function={function} source={source}")
    return found[0]


class _Function:
    """The one function a trigger invokes, as devstack's pollers see Functions: counted, bounded, and its
    errors kept; a Crash, which is no Exception, is handed to the poller as one."""

    def __init__(self, trigger: Any, handler: Handler, context: Callable[[], Any]) -> None:
        self.name = trigger.function
        self.handler = handler
        self.context = context
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"
        self.by_id = {self.name: SimpleNamespace(arn=arn)}
        self.invocations = 0
        self.bound: int | None = None
        self.errors: list[BaseException] = []
        self.on_error: Callable[[dict[str, Any]], None] | None = None
        self.after_each: Callable[[], object] | None = None
        self.answers: list[Any] = []
        self._counting = threading.Lock()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        with self._counting:
            if self.bound is not None and self.invocations >= self.bound:
                raise _Stop(Exhausted(f"{self.bound} invocations did not drain the {self.name} trigger"))
            self.invocations += 1
        try:
            answer = self.handler(event, self.context())
        except (Exception, Crash) as error:
            with self._counting:
                self.errors.append(error)
            if self.on_error is not None:
                self.on_error(event)
            self._after()
            raise RuntimeError(f"the invocation failed: {error!r}") from None
        with self._counting:
            self.answers.append(answer)
        self._after()
        return answer

    def _after(self) -> None:
        if self.after_each is None:
            return
        try:
            self.after_each()
        except BaseException as error:
            raise _Stop(error) from error


class _Counted:
    function: _Function

    @property
    def invocations(self) -> int:
        return self.function.invocations

    @property
    def errors(self) -> list[BaseException]:
        return self.function.errors


class StreamTrigger(_Counted, StreamPoller):
    def __init__(
        self,
        stack: Stack,
        handler: Handler,
        function: str = "FanOutFunction",
        context: Callable[[], Any] = FakeLambdaContext,
    ) -> None:
        # The batching window passes at once: a drain settles what is there.
        trigger = dataclasses.replace(template_trigger(stack, function), window=0.0)
        self.function = _Function(trigger, handler, context)
        super().__init__(trigger, self.function, _NoWait())  # type: ignore[arg-type]
        # A session of its own: hooks a test registers on the default one, for the functions' clients, do not
        # reach the trigger's.
        self.streams = boto3.session.Session().client("dynamodbstreams", region_name=REGION)
        self.given_up: list[list[dict[str, Any]]] = []
        self.records_read = 0

    def _read(self, shard: Any) -> None:
        before = len(shard.pending)
        super()._read(shard)
        self.records_read += len(shard.pending) - before

    def _give_up(
        self, shard_id: str, records: list[dict[str, Any]], attempt: Invocation, invocations: int
    ) -> None:
        self.given_up.append(records)
        super()._give_up(shard_id, records, attempt, invocations)

    def drain(self, max_invocations: int = 1000, after_each: Callable[[], object] | None = None) -> int:
        """Invoke the handler on every record written since the last drain, calling after_each after each
        invocation (another trigger's turn: Lambda runs them side by side); answers how many records."""
        read = self.records_read
        self.function.bound = max_invocations
        self.function.after_each = after_each
        try:
            while self.poll():
                pass
        except _Stop as stop:
            raise stop.error from None
        finally:
            self.function.after_each = None
        return self.records_read - read


class QueueTrigger(_Counted, QueuePoller):
    def __init__(
        self,
        stack: Stack,
        handler: Handler,
        queue: str = "DeliveryQueue",
        batch_size: int | None = None,
        context: Callable[[], Any] = FakeLambdaContext,
        sqs: Any = None,
    ) -> None:
        trigger = template_trigger(stack, source=queue)
        if batch_size is not None:
            trigger = dataclasses.replace(trigger, batch_size=batch_size)
        self.function = _Function(trigger, handler, context)
        self.function.on_error = self._visible_again
        super().__init__(trigger, self.function, _NoWait())  # type: ignore[arg-type]
        # A session of its own (see StreamTrigger), unless the caller, polling again and again, passes its
        # client: a new client costs more than a receive.
        self.sqs = sqs or boto3.session.Session().client("sqs", region_name=REGION)
        self.url = self.queue_url
        # Every message handed to the handler, as first received, by its id (a message received again
        # counts once).
        self.handed: dict[str, dict[str, Any]] = {}
        # The last receipt of each message handed over and not deleted since: those that wait.
        self.receipts: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def message_ids(self) -> set[str]:
        return set(self.handed)

    def reported(self) -> list[str]:
        """The message ids the function's answers reported failed, in order."""
        return [
            failure["itemIdentifier"]
            for answer in self.function.answers
            for failure in (answer or {}).get("batchItemFailures", [])
        ]

    def _batch(self) -> list[dict[str, Any]]:
        batch = super()._batch()
        with self._lock:
            for message in batch:
                self.handed.setdefault(message["MessageId"], message)
            self.receipts.update({message["MessageId"]: message["ReceiptHandle"] for message in batch})
        return batch

    def _remove(self, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        super()._remove(messages)
        with self._lock:
            for message in messages:
                self.receipts.pop(message["MessageId"], None)

    def _visible_again(self, event: dict[str, Any]) -> None:
        """The batch's visibility timeout passes: every message of it is visible again."""
        self.sqs.change_message_visibility_batch(
            QueueUrl=self.url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": record["receiptHandle"], "VisibilityTimeout": 0}
                for n, record in enumerate(event["Records"])
            ],
        )

    def invoke_once(self) -> bool:
        """One batch, if a message is visible: receive, invoke, delete what succeeded. False if none was."""
        try:
            return self.poll()
        except _Stop as stop:
            raise stop.error from None

    def run_batches(self, batches: int | None = None, size: int | None = None) -> int:
        """Invoke batch after batch (of `size` messages, or the template's batch size) until none is
        visible, or `batches` ran; answers how many ran."""
        configured = self.trigger
        if size is not None:
            self.trigger = dataclasses.replace(configured, batch_size=size)
        ran = 0
        try:
            while (batches is None or ran < batches) and self.invoke_once():
                ran += 1
        finally:
            self.trigger = configured
        return ran

    def in_flight(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def empty(self) -> bool:
        """Nothing on the queue, visible or not."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return set(attributes.values()) == {"0"}

    def wake(self, count: int | None = None) -> None:
        """Make the messages that wait (or the first `count` of them) visible at once."""
        for receipt in list(self.receipts.values())[:count]:
            self.sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=receipt, VisibilityTimeout=0)

    def messages(self) -> list[Any]:
        """The messages on the queue, as moto keeps them."""
        from moto.backends import get_backend

        name = self.trigger.queue_arn.rsplit(":", 1)[1]
        return list(get_backend("sqs")[ACCOUNT_ID][REGION].queues[name]._messages)

    def waits(self) -> list[float]:
        """The seconds until each message on the queue is visible."""
        return sorted(message.visible_at / 1000 - time.time() for message in self.messages())

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


def run_queue(stack: Stack, queue: str, handler: Handler, batch_size: int = 10, sqs: Any = None) -> int:
    """Invoke handler on the queue's messages, batch after batch, until none is visible; as the trigger does,
    delete each message the handler did not report failed. Answers how many batches ran."""
    return QueueTrigger(stack, handler, queue, batch_size, sqs=sqs).run_batches()
