"""Our own CPU: per inbound call of each operation, and per delivered event (fan-out, then delivery), with
every AWS call answered by a stand-in that costs nothing, so that the figure is our code's and botocore's,
not moto's.

Each measured invocation runs once against moto with its AWS answers recorded by the kind of call (its
operation, resource, expressions and key's attribute names, not its values), in the order they came. Then
moto is paused and the invocation runs again and again, botocore's before-send answering each request with
the recorded answers of its kind in turn: botocore still builds, signs and parses each call as in Lambda;
nothing is sent. The runs take the recorded run's way: each inbound call has an Idempotency-Key of its own,
as new calls do; every recorded conditional write succeeds again; and mailhooks' clock stands still, so that
a webhook's pace decides as it did. A kind of call met once in many runs (a container's next block of ids)
is answered by moto, and the measure refused if moto answered more than one call in fifty. process_time counts
this process's CPU, all its threads; the receiver of the deliveries answers from a process of its own.
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

import mailhooks.clock
from bench.harness import moto_stack
from mailhooks.aws import aws
from mailhooks.models import ActivityKind
from mailhooks.store.activity import activity_log
from tests.support.helpers import (
    OPERATION_CALLS,
    FakeLambdaContext,
    campaign_activity,
    hook_event,
    seed_account,
    seed_operation_calls,
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
    """Too many calls the recording had no answer to: the runs went other ways than the recorded one."""


# What tells one kind of call from another, whatever its ids and values.
_KINDS = (
    *("TableName", "QueueUrl", "TopicArn", "IndexName", "UpdateExpression", "ConditionExpression"),
    *("KeyConditionExpression", "FilterExpression", "ProjectionExpression"),
)


def _kind(params: dict[str, Any]) -> str:
    """The call's resource and expressions, and the names of its key's (or item's) attributes."""
    parts = [f"{name}={params[name]}" for name in _KINDS if name in params]
    parts += [f"{name}={sorted(params[name])}" for name in ("Key", "Item") if name in params]
    if "RequestItems" in params:
        parts.append(str(sorted(params["RequestItems"])))
    for item in params.get("TransactItems", []):
        parts += [f"{operation}({_kind(inner)})" for operation, inner in item.items()]
    return " ".join(parts)


class Recording:
    """botocore's handlers: while recording, each call's answer is kept by the call's kind; while replaying,
    each request is answered with a kept answer of its kind, those of a kind in turn. A kind the recording
    has not met (a container's next block of ids, once in a hundred calls) is answered by moto, kept, and
    counted."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.replaying = False
        self.recorded = 0
        self.replayed = 0
        self.answered_by_moto = 0
        self._recording = False
        self._turns: Counter[str] = Counter()
        self._call = threading.local()  # the kind of the call under way in each thread
        self._lock = threading.Lock()

    def named(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        service, operation = event_name.split(".")[1:]
        self._call.kind = f"{service}.{operation} {_kind(params)}"

    def answered(self, http_response: AWSResponse, **_: Any) -> None:
        if self._recording:
            self.recorded += 1
            self._keep(self._call.kind, http_response)

    def _keep(self, kind: str, http_response: AWSResponse) -> None:
        answer = (http_response.status_code, list(http_response.headers.items()), http_response.content)
        with self._lock:
            self.answers.setdefault(kind, []).append(answer)

    def send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if not self.replaying:
            return None
        kind = self._call.kind
        with self._lock:
            known = self.answers.get(kind)
            if known:
                status, headers, body = known[self._turns[kind] % len(known)]
                self._turns[kind] += 1
                self.replayed += 1
                return AWSResponse(
                    request.url, status, HTTPHeaders.from_pairs(headers), MockRawResponse(body)
                )
            self.answered_by_moto += 1
        answered = botocore_stubber.process_request(request)
        if answered is None:
            raise NotRecorded(f"moto does not answer {request.url}")
        code, fields, content = answered
        response = AWSResponse(request.url, code, fields, MockRawResponse(content))  # type: ignore[arg-type]
        if code < 300:  # a refusal answered in turn could refuse a retry for ever
            self._keep(kind, response)
        return response

    @contextmanager
    def recording(self) -> Iterator[None]:
        self._recording = True
        try:
            yield
        finally:
            self._recording = False

    def replayed_alone(self) -> None:
        """That at most one replayed call in fifty was answered by moto."""
        if self.answered_by_moto * 50 > self.replayed:
            raise NotRecorded(f"moto answered {self.answered_by_moto} calls, the recording {self.replayed}")


@contextmanager
def recorded() -> Iterator[Recording]:
    """A Recording on the default session, whose handlers every client created meanwhile gets; and
    mailhooks' clock stopped meanwhile, so that what the code decides by the time (a webhook's pace) is
    decided as it was in the recorded run."""
    recording = Recording()
    stopped = mailhooks.clock.now()
    running = mailhooks.clock.now
    mailhooks.clock.now = lambda: stopped
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
        mailhooks.clock.now = running


@contextmanager
def replaying(recording: Recording) -> Iterator[None]:
    """moto's patching paused (its interception of requests' HTTP too), and every call answered from the
    recording."""
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


def _body(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The n-th call's body: the first two (a warm-up, the recorded one) of an address of their own, as
    each call that moto answers needs (a new subscriber, or one still there to delete); the replayed ones
    the recorded one's."""
    return {**body, "email": f"{min(n, 1)}.{body['email']}"} if "email" in body else body


def _operation(handler: Handler, token: str, body: dict[str, Any]) -> dict[str, object]:
    events = iter(
        hook_event(token, json.dumps(_body(body, n)), headers={"Idempotency-Key": f"call {n}"})
        for n in range(2 + 10 + 5 * CALLS)
    )
    statuses: list[int] = []

    def run() -> None:
        statuses.append(int(handler(next(events), FakeLambdaContext())["statusCode"]))

    run()  # the container's first blocks of ids taken, as most calls find them
    with recorded() as recording:
        with recording.recording():
            run()
        with replaying(recording):
            cpu_ms = _cpu_ms(run, 10, 5, CALLS)
        recording.replayed_alone()
    assert set(statuses) == {statuses[0]}, statuses
    assert statuses[0] < 300, statuses
    return {"cpu_ms": round(cpu_ms, 2), "aws_calls": recording.recorded}


def _inbound() -> dict[str, object]:
    from functions.inbound.app import handler

    figures: dict[str, object] = {}
    with moto_stack():
        seed_operation_calls()
        subscribing = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
        for name, (mapping, body) in OPERATION_CALLS.items():
            if "email" in body and name != "add_subscriber":  # whom it deletes or unsubscribes
                for n in (0, 1):
                    event = hook_event(subscribing.token, json.dumps({"email": _body(body, n)["email"]}))
                    handler(event, FakeLambdaContext())
            webhook = seed_webhook(name, mapping, list_id=2222 if name == "add_subscriber" else None)
            figures[name] = _operation(handler, webhook.token, body)
    return figures


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
            # With their attributes, as Lambda's event source hands them over: a fan-out message's marks its
            # first receipt, which takes no lease.
            messages = receive_all(queue["QueueUrl"], MessageAttributeNames=["All"])
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
            recording.replayed_alone()
        assert not failures, failures
    return {"events": EVENTS, "cpu_ms": round(cpu_ms / EVENTS, 3), "aws_calls": recording.recorded / EVENTS}


def measure() -> dict[str, object]:
    return {"inbound": _inbound(), "delivered_event": _delivery()}


if __name__ == "__main__":
    # The functions print their metrics (EMF) on stdout: keep them out of the figures.
    with contextlib.redirect_stdout(io.StringIO()):
        figures = measure()
    print(json.dumps(figures, indent=2))
