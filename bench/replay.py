"""A stand-in for AWS that costs this process nothing: each call answered as moto answered its kind of call
when recorded, in turn. bench.cpu measures our CPU with it; bench.parallelism a batch's wall time, with each
answer given after AWS's latency, in the calling thread, so that calls made at once are answered at once, as
AWS answers them (moto serves one at a time).

Each measured invocation runs once against moto with its AWS answers recorded by the kind of call (its
operation, resource, expressions and key's attribute names, not its values), in the order they came. Then
moto is paused and the invocation runs again and again, botocore's before-send answering each request with
the recorded answers of its kind in turn: botocore still builds, signs and parses each call as in Lambda;
nothing is sent. The runs take the recorded run's way: every recorded conditional write succeeds again; and
mailhooks' clock stands still, so that what the code decides by the time is decided as it was. A kind of
call met once in many runs (a container's next block of ids) is answered by moto, and the measure refused if
moto answered more than one call in fifty.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber, responses_mock

import mailhooks.clock
from mailhooks.aws import aws

Answer = tuple[int, list[tuple[str, str]], bytes]


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
        self.latency = 0.0
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
            else:
                self.answered_by_moto += 1
        if known:
            # Outside the lock, and without holding the interpreter's: each thread waits on its own call.
            time.sleep(self.latency)
            return AWSResponse(request.url, status, HTTPHeaders.from_pairs(headers), MockRawResponse(body))
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
def replaying(recording: Recording, latency: float = 0.0) -> Iterator[None]:
    """moto's patching paused (its interception of requests' HTTP too), and every call answered from the
    recording, `latency` seconds after it is made."""
    botocore_stubber.enabled = False
    responses_mock.stop()
    recording.replaying, recording.latency = True, latency
    try:
        yield
    finally:
        recording.replaying, recording.latency = False, 0.0
        responses_mock.start()
        botocore_stubber.enabled = True
