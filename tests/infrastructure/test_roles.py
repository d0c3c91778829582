"""Each function's role allows every AWS call the function makes, flow by flow. moto does not enforce IAM,
so a call a role lacks passes every other test and fails only once deployed. Every test's handler calls are
checked against the roles at the end of the run (tests/support/aws_calls.py); here the flows of export
endpoints' health, which reach the most places, are checked step by step, each step naming its function:
the fan-out parking deliveries, the deliver function disabling, throttling and un-parking, the review
probing and warning, and the admin API recovering."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from devstack.template import Stack
from mailhooks.models import ActivityKind
from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings
from mailhooks.store.activity import activity_log
from mailhooks.store.endpoint_health import health_records
from tests.support import aws_calls
from tests.support.admin import admin
from tests.support.health import Clock, Queue, endpoint, publish, run_review
from tests.support.helpers import FakeLambdaContext, campaign_activity
from tests.support.receivers import Reply
from tests.support.roles import Call, denied
from tests.support.streams import StreamTail

# The deliver function's environment (the review's and the admin function's are the same but for names).
pytestmark = pytest.mark.usefixtures("deliver_function")


@pytest.fixture
def invoke(stack: Stack, translated: dict[str, Any]) -> Callable[..., list[Call]]:
    """invoke(function, run): run the handler call(s) of one function, and answer the calls its role does
    not allow, as the whole suite's recorder sees them (tests/support/aws_calls.py)."""

    def checked(function: str, run: Callable[[], object]) -> list[Call]:
        with aws_calls.recording() as recorded:
            run()
        calls = aws_calls.calls_of(function, recorded)
        assert calls, f"{function} made no AWS call"
        return denied(translated, function, calls)

    return checked


def test_each_role_allows_the_calls_of_endpoint_health(
    stack: Stack,
    invoke: Callable[..., list[Call]],
    queue: Queue,
    receiver: Any,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")  # a failure is final: dead-lettered
    settings.cache_clear()
    endpoint(receiver().url(), "throttled", [ActivityKind.CLICK], max_concurrency=1, max_per_second=5)
    endpoint(receiver(Reply(410)).url(), "gone", [ActivityKind.CLICK])
    endpoint(receiver(Reply(500)).url(), "failing", [ActivityKind.CLICK])
    endpoint(receiver(Reply(503), Reply(200)).url(), "parking", [ActivityKind.OPEN])
    health_records().open((12, "parking"), clock.at, clock.at + timedelta(seconds=60))

    # The fan-out queues the click and parks the opens; the deliver function delivers, throttles, disables
    # (telling the owner) and dead-letters.
    from functions.fanout.app import handler as fan_out

    kinds = (ActivityKind.CLICK, ActivityKind.OPEN, ActivityKind.OPEN)
    activity_log().put([campaign_activity(kind, n) for n, kind in enumerate(kinds)])
    stream = StreamTail(stack, "ActivityTable")
    answers: list[Any] = []
    published = lambda: answers.append(fan_out(stream.next_event(), FakeLambdaContext()))  # noqa: E731
    assert invoke("FanOutFunction", published) == []
    assert answers == [{"batchItemFailures": []}]
    assert invoke("DeliverFunction", queue.run_batches) == []

    # The review probes a parked delivery, which fails; the next probe, a new delivery, succeeds, and the
    # deliver function queues the parked one again.
    clock.advance(seconds=61)
    assert invoke("EndpointHealthFunction", run_review) == []
    assert invoke("DeliverFunction", queue.run_batches) == []
    clock.advance(seconds=MAX_HOLD_SECONDS)
    publish(ActivityKind.OPEN)
    assert invoke("DeliverFunction", queue.run_batches) == []

    # The review warns of the failing endpoint, then disables it; its owner recovers it.
    clock.advance(seconds=settings().endpoint_warn_after_seconds)
    assert invoke("EndpointHealthFunction", run_review) == []
    clock.advance(seconds=settings().endpoint_disable_after_seconds)
    assert invoke("EndpointHealthFunction", run_review) == []
    since = (clock.at - timedelta(days=29)).isoformat()
    recovered: list[tuple[int, Any]] = []

    def recover() -> None:
        recovered.append(admin("POST", "/admin/endpoints/failing/recover", body={"since": since}))

    assert invoke("AdminFunction", recover) == []
    assert recovered[0][0] == 202, json.dumps(recovered[0][1])
    assert recovered[0][1]["queued"] == 1
