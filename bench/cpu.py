"""Our own CPU: per inbound call of each operation, and per delivered event (fan-out, then delivery), with
every AWS call answered by a stand-in that costs nothing, so that the figure is our code's and botocore's,
not moto's.

Each measured invocation runs once against moto with its AWS answers recorded, by operation and resource
(table, queue, topic), in the order they came. Then moto is paused and the invocation runs again and again,
botocore's before-send answering each request with the recorded answer of its operation and resource, in
turn: botocore still builds, signs and parses each call as in Lambda; nothing is sent. Each run must make
exactly the recorded calls: each inbound call has an Idempotency-Key of its own, as new calls do, and every
recorded conditional write succeeds again. time.process_time counts this process's CPU, all its threads;
the receiver of the deliveries answers from a process of its own.
"""

import contextlib
import io
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber, responses_mock

from bench.harness import moto_stack
from mailhooks.aws import aws
from mailhooks.models import ActivityKind, CustomField
from mailhooks.store.activity import activity_log
from tests.support.helpers import (
    OPERATION_CALLS,
    FakeLambdaContext,
    campaign_activity,
    hook_event,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
)
from tests.support.pipeline import add_endpoint
from tests.support.receivers import Chaos, chaos_receivers
from tests.support.streams import StreamTail, receive_all, sqs_event

CALLS = 20  # inbound calls of each operation in a measured chunk, of five (after ten more)
EVENTS = 100  # activities fanned out and delivered together, in the trigger's batches of 10
ROUNDS = 5  # times those events are fanned out and delivered, each measured (after one more)

Answer = tuple[int, list[tuple[str, str]], bytes]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class NotRecorded(Exception):
    """A call that the recording has no answer to: the run went another way than the recorded one."""


def _resource(params: dict[str, Any]) -> str:
    for name in ("TableName", "QueueUrl", "TopicArn"):
        if name in params:
            return str(params[name])
    if "RequestItems" in params:
        return ",".join(sorted(params["RequestItems"]))
    if "TransactItems" in params:
        return ",".join(sorted({next(iter(item.values()))["TableName"] for item in params["TransactItems"]}))
    return ""


class Recording:
    """botocore's handlers: while recording, each call's answer is kept; while replaying, each request is
    answered with a kept one."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.replaying = False
        self._recording = False
        self._turns: Counter[str] = Counter()
        self._call = threading.local()  # the call under way in each thread, as "service.Operation resource"
        self._lock = threading.Lock()

    def named(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".")[1:]
        self._call.key = f"{service}.{operation} {_resource(params)}"

    def answered(self, http_response: AWSResponse, **_: Any) -> None:
        if self._recording:
            answer = (http_response.status_code, list(http_response.headers.items()), http_response.content)
            with self._lock:
                self.answers.setdefault(self._call.key, []).append(answer)

    def send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if not self.replaying:
            return None
        key = self._call.key
        with self._lock:
            if key not in self.answers:
                raise NotRecorded(key)
            status, headers, body = self.answers[key][self._turns[key] % len(self.answers[key])]
            self._turns[key] += 1
        return AWSResponse(request.url, status, HTTPHeaders.from_pairs(headers), MockRawResponse(body))

    @contextmanager
    def recording(self) -> Iterator[None]:
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def replayed_whole(self) -> None:
        """That the runs since the recording made as many calls of each kind as it holds, or a multiple."""
        uneven = {key: turns for key, turns in self._turns.items() if turns % len(self.answers[key])}
        if uneven or set(self._turns) != set(self.answers):
            raise NotRecorded(
                f"the runs made other calls than the recorded ones: {uneven or set(self._turns)}"
            )

    def calls(self) -> int:
        return sum(len(answers) for answers in self.answers.values())


@contextmanager
def recorded() -> Iterator[Recording]:
    """A Recording on the default session, whose handlers every client created meanwhile gets."""
    recording = Recording()
    events = boto3._get_default_session().events
    events.register("provide-client-params.*.*", recording.named)
    events.register("after-call.*.*", recording.answered)
    events.register_first("before-send.*.*", recording.send)  # type: ignore[arg-type]
    aws.cache_clear()  # clients copy the session's handlers when they are created
    try:
        yield recording
    finally:
        events.unregister("provide-client-params.*.*", recording.named)
        events.unregister("after-call.*.*", recording.answered)
        events.unregister("before-send.*.*", recording.send)  # type: ignore[arg-type]
        aws.cache_clear()


@contextmanager
def replaying(recording: Recording) -> Iterator[None]:
    """moto paused (a call not answered from the recording fails, rather than reaching moto), and every
    call answered from the recording."""
    botocore_stubber.enabled = False
    responses_mock.stop()
    recording.replaying = True
    try:
        yield
    finally:
        recording.replaying = False
        responses_mock.start()
        botocore_stubber.enabled = True


def _cpu_ms(run: Callable[[], None], warm_up: int, chunks: int, runs: int) -> float:
    """The median, over chunks of runs, of the CPU a run took: a machine shared with other work slows some
    chunks down."""
    for _ in range(warm_up):
        run()
    taken = []
    for _ in range(chunks):
        started = time.process_time()
        for _ in range(runs):
            run()
        taken.append((time.process_time() - started) * 1000 / runs)
    return statistics.median(taken)


def _operation(handler: Handler, token: str, body: dict[str, Any]) -> dict[str, object]:
    events = iter(
        hook_event(token, json.dumps(body), headers={"Idempotency-Key": f"call {n}"})
        for n in range(1 + 10 + 5 * CALLS)
    )
    statuses: list[int] = []

    def run() -> None:
        statuses.append(int(handler(next(events), FakeLambdaContext())["statusCode"]))

    with recorded() as recording:
        with recording.recording():
            run()
        with replaying(recording):
            cpu_ms = _cpu_ms(run, 10, 5, CALLS)
        recording.replayed_whole()
    assert set(statuses) == {statuses[0]}, statuses
    assert statuses[0] < 300, statuses
    return {"cpu_ms": round(cpu_ms, 2), "aws_calls": recording.calls()}


def _inbound() -> dict[str, object]:
    from functions.inbound.app import handler

    with moto_stack():
        seed_account(12)
        seed_list(12, 2222, fields=[CustomField(name="name")])
        seed_template(12, 31)
        other = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
        handler(hook_event(other.token, json.dumps({"email": "b@example.com"})), FakeLambdaContext())
        return {
            name: _operation(
                handler,
                seed_webhook(name, mapping, list_id=2222 if name == "add_subscriber" else None).token,
                body,
            )
            for name, (mapping, body) in OPERATION_CALLS.items()
        }


def _delivery() -> dict[str, object]:
    from functions.delivery.app import handler as deliver
    from functions.fanout.app import handler as fan_out

    with moto_stack(ALLOW_LOCAL_ENDPOINTS="true") as stack, chaos_receivers(Chaos("ok", seed=0)) as receiver:
        seed_account(12)
        add_endpoint("ep", receiver.url("ok"))
        tail = StreamTail(stack, "ActivityTable")
        queue = stack.physical["DeliveryQueue"]
        activity_log().put([campaign_activity(ActivityKind.OPEN, n) for n in range(EVENTS)])
        stream_event = tail.next_event()
        with recorded() as recording:
            with recording.recording():
                fan_out(stream_event, FakeLambdaContext())
            messages = receive_all(queue["QueueUrl"])
            assert len(messages) == EVENTS, len(messages)
            # As the trigger hands them over: batches of the template's 10.
            batches = [sqs_event(queue["Arn"], messages[n : n + 10]) for n in range(0, EVENTS, 10)]
            failures: list[object] = []

            def deliver_all() -> None:
                for batch in batches:
                    failures.extend(deliver(batch, FakeLambdaContext()).get("batchItemFailures", []))

            with recording.recording():
                deliver_all()

            def run() -> None:
                fan_out(stream_event, FakeLambdaContext())
                deliver_all()

            with replaying(recording):
                cpu_ms = _cpu_ms(run, 1, ROUNDS, 1)
            recording.replayed_whole()
        assert not failures, failures
    return {"events": EVENTS, "cpu_ms": round(cpu_ms / EVENTS, 3), "aws_calls": recording.calls() / EVENTS}


def measure() -> dict[str, object]:
    return {"inbound": _inbound(), "delivered_event": _delivery()}


if __name__ == "__main__":
    # The functions print their metrics (EMF) on stdout: keep them out of the figures.
    with contextlib.redirect_stdout(io.StringIO()):
        figures = measure()
    print(json.dumps(figures, indent=2))
