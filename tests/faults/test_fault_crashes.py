"""The fan-out and deliver functions crashing mid-batch: after the triggers' retries, every event is still
delivered once.

Crashes are injected without touching the functions: an exception raised from inside an AWS call (a
botocore event hook on the session the functions' clients are created from), or from the endpoint's gate
as it admits a message, before anything of it is written or sent. The injected Crash is a BaseException,
like a timeout or running out of memory it gets past every `except Exception` of the handler: the
invocation dies. Then the triggers of tests/triggers.py retry as Lambda's do: a stream batch again
(bisected), or from the record the function reported; a queue batch whose invocation died comes back
whole.

Receivers are seeded (tests/support/receivers.py): one healthy, one failing 20% of requests with a 500, so
that crashes meet retries too. Exactly once is counted at the receivers, by webhook-id: one 200 answer for
each, after exactly the attempts the draws foretold; a crash never makes the deliverer POST again what it
had delivered. A fan-out retried queues some deliveries twice: the queue is drained after each fan-out, so
the second copy comes once its delivery is logged, finds it so at its first receipt (outbound.delivery),
and is not POSTed again.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.template import Stack
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.endpoint_health.breaker import Gate
from mailhooks.settings import settings
from mailhooks.store.activity import activity_log
from tests.support.helpers import FakeLambdaContext
from tests.support.pipeline import (
    activities,
    chaos_endpoints,
    dead_letters,
    logged_statuses,
    webhook_id,
)
from tests.support.receivers import Chaos, Fate, Receivers, assert_counts, fate
from tests.support.streams import StreamTail, receive_all, sqs_event
from tests.support.triggers import Crash, QueueTrigger, StreamTrigger

# A seed whose draws give up none of these tests' deliveries (foretold() checks it).
SEED = 3
# A handler that dies before adding a metric leaves Powertools nothing to publish, and it says so.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
RECEIVERS = [Chaos("healthy", SEED), Chaos("flaky", SEED, error=0.2)]
RETRY_SCHEDULE = [0, 0, 0]
ATTEMPTS = len(RETRY_SCHEDULE) + 1


class Countdown:
    """Counts calls, thread-safely; `due()` is true at the calls whose numbers (from 1) are given."""

    def __init__(self, at: set[int]) -> None:
        self.at = at
        self.calls = 0
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            self.calls += 1
            return self.calls in self.at


@pytest.fixture
def receivers(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    with chaos_endpoints(stack, monkeypatch, RECEIVERS, RETRY_SCHEDULE, timeout=5) as started:
        yield started


def foretold(written: list[ActivityRecord]) -> dict[str, dict[str, Fate]]:
    """The fate of every (activity, endpoint), by receiver and webhook-id; none of them given up, so that
    what the crashes change is all there is to see."""
    fates = {
        chaos.name: {
            webhook_id(activity, chaos.name): fate(chaos, webhook_id(activity, chaos.name), ATTEMPTS)
            for activity in written
        }
        for chaos in RECEIVERS
    }
    assert all(each.delivered for by_id in fates.values() for each in by_id.values())
    assert any(each.attempts > 1 for each in fates["flaky"].values())
    return fates


def assert_delivered_exactly_once(
    stack: Stack, receivers: Receivers, fates: dict[str, dict[str, Fate]], delivering: QueueTrigger
) -> None:
    tallies = receivers.report()
    for name, by_id in fates.items():
        assert_counts(f"200 answers of {name}", tallies[name].ok_answers, Counter(dict.fromkeys(by_id, 1)))
        attempts = Counter({each_id: each.attempts for each_id, each in by_id.items()})
        assert_counts(f"requests to {name}", tallies[name].arrivals, attempts)
    assert delivering.in_flight() == 0
    assert dead_letters(stack) == []
    assert logged_statuses() == Counter({"delivered": sum(len(by_id) for by_id in fates.values())})


def run(
    stack: Stack, written: list[ActivityRecord], fan_out: Any = None, deliver: Any = None
) -> tuple[StreamTrigger, QueueTrigger]:
    """Write the activities, and run both triggers side by side until the stream and the queue are done."""
    from functions.delivery.app import handler as deliver_handler
    from functions.fanout.app import handler as fan_out_handler

    activity_log().put(written)
    delivering = QueueTrigger(stack, deliver or deliver_handler)
    fanned_out = StreamTrigger(stack, fan_out or fan_out_handler)
    drained = fanned_out.drain(after_each=lambda: delivering.drain(max_invocations=200, seconds=60))
    assert drained == len(written)
    assert fanned_out.given_up == []
    return fanned_out, delivering


# The fan-out function


def test_a_fan_out_that_dies_mid_batch_is_retried_and_delivers_each_event_once(
    stack: Stack, receivers: Receivers, aws_hook: Callable[[str, Callable[..., Any]], None]
) -> None:
    written = activities("crash", 120)
    fates = foretold(written)
    # The first batch (100 activities, 200 messages) dies at its 8th SQS call, 70 messages queued. Bisected,
    # its first half goes through; its second dies at its 5th call, 40 messages queued, and is bisected.
    crashes = Countdown({8, 23})

    def crash(params: dict[str, Any], **_: Any) -> None:
        if params.get("QueueUrl") == settings().delivery_queue_url and crashes.due():
            raise Crash(f"the fan-out died at its SQS call {crashes.calls}")

    aws_hook("before-parameter-build.sqs.SendMessageBatch", crash)

    fanned_out, delivering = run(stack, written)

    assert [str(error) for error in fanned_out.errors] == [
        "the fan-out died at its SQS call 8",
        "the fan-out died at its SQS call 23",
    ]
    # 100 records, then their halves of 50, the second of which in halves of 25; then the last 20.
    assert fanned_out.invocations == 6
    assert delivering.errors == []
    # 240 deliveries; the 70 + 40 messages queued by the batches that died were queued again.
    assert len(delivering.message_ids) == 240 + 70 + 40
    assert_delivered_exactly_once(stack, receivers, fates, delivering)


def test_an_entry_sqs_refuses_makes_the_stream_retry_from_its_activity(
    stack: Stack, receivers: Receivers, aws_hook: Callable[[str, Callable[..., Any]], None]
) -> None:
    written = activities("refused", 100)
    fates = foretold(written)
    refusals = Countdown({3})

    def refuse_one(params: dict[str, Any], **_: Any) -> None:
        # A delay over SQS's 900 seconds: moto itself refuses that entry, and queues the batch's others.
        if params.get("QueueUrl") == settings().delivery_queue_url and refusals.due():
            params["Entries"][4]["DelaySeconds"] = 901

    aws_hook("before-parameter-build.sqs.SendMessageBatch", refuse_one)
    from functions.fanout.app import handler as fan_out_handler

    answers: list[dict[str, Any]] = []

    def fan_out(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answers.append(fan_out_handler(event, context))
        return answers[-1]

    fanned_out, delivering = run(stack, written, fan_out=fan_out)

    # The 3rd call's 5th entry is the 25th message: one of the 13th activity's. The stream is retried from
    # that activity, whose messages and those of the 87 after it are queued again.
    records = StreamTail(stack, "ActivityTable").next_event()["Records"]
    assert answers[0] == {
        "batchItemFailures": [{"itemIdentifier": records[12]["dynamodb"]["SequenceNumber"]}]
    }
    assert [answer["batchItemFailures"] for answer in answers[1:]] == [[]]
    assert (fanned_out.invocations, fanned_out.errors, delivering.errors) == (2, [], [])
    # Queued: 199 of the batch's 200 messages; then 176 again, from its 13th activity on.
    assert len(delivering.message_ids) == 199 + 176
    assert_delivered_exactly_once(stack, receivers, fates, delivering)


# The deliver function


@pytest.mark.parametrize(
    "admissions",
    [{1}, {14}, {14, 24, 34}, {30, 45}],
    ids=["first message", "mid batch", "the same batch again and again", "twice"],
)
def test_a_deliverer_that_dies_before_a_message_delivers_each_event_once(
    stack: Stack, receivers: Receivers, monkeypatch: pytest.MonkeyPatch, admissions: set[int]
) -> None:
    """The invocation dies as its worker thread is about to attempt a message (the n-th overall), before
    anything of it is written or sent: what its other threads delivered stays delivered, and the whole
    batch comes back."""
    written = activities("admissions", 30)
    fates = foretold(written)
    crashes = Countdown(admissions)
    admit = Gate.admit

    def dying_admit(self: Gate) -> Any:
        if crashes.due():
            raise Crash(f"the deliverer died before admission {crashes.calls}")
        return admit(self)

    monkeypatch.setattr(Gate, "admit", dying_admit)

    _, delivering = run(stack, written)

    assert sorted(str(error) for error in delivering.errors) == sorted(
        f"the deliverer died before admission {n}" for n in admissions
    )
    assert_delivered_exactly_once(stack, receivers, fates, delivering)


def test_a_deliverer_whose_worker_dies_ends_once_its_other_workers_are_done(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The invocation whose worker dies at the batch's first message ends once its other workers are done:
    none is left POSTing past it, into a later invocation of the frozen container, or beside the copies of
    its batch that come back."""
    from functions.delivery.app import handler as deliver_handler
    from functions.fanout.app import handler as fan_out_handler

    slow = Chaos("slow", SEED, delay=0.5)
    with chaos_endpoints(stack, monkeypatch, [slow], RETRY_SCHEDULE, timeout=5) as receivers:
        activity_log().put(activities("worker", 10))
        assert StreamTrigger(stack, fan_out_handler).drain() == 10
        queue = stack.physical["DeliveryQueue"]
        batch = receive_all(queue["QueueUrl"], MessageAttributeNames=["All"])
        crashes = Countdown({1})
        admit = Gate.admit

        def dying_admit(self: Gate) -> Any:
            if crashes.due():
                raise Crash("the deliverer died before its first admission")
            return admit(self)

        monkeypatch.setattr(Gate, "admit", dying_admit)

        with pytest.raises(Crash):
            deliver_handler(sqs_event(queue["Arn"], batch), FakeLambdaContext())
        answered_when_it_ended = receivers.report()[slow.name].ok_answers.total()

    assert len(batch) == 10
    assert answered_when_it_ended == 9
    assert logged_statuses() == Counter({"delivered": 9})


def test_a_deliverer_that_dies_setting_its_retries_waits_delivers_each_event_once(
    stack: Stack, receivers: Receivers, aws_hook: Callable[[str, Callable[..., Any]], None]
) -> None:
    """The invocation dies after every attempt of its batch is made and logged, as it holds the failed ones
    back for their retry: the batch comes back whole, delivered ones and all."""
    written = activities("settle", 30)
    fates = foretold(written)
    crashes = Countdown({1, 2, 4})

    def crash(**_: Any) -> None:
        if crashes.due():
            raise Crash(f"the deliverer died setting waits, {crashes.calls}")

    aws_hook("before-parameter-build.sqs.ChangeMessageVisibilityBatch", crash)

    _, delivering = run(stack, written)

    assert len(delivering.errors) == 3
    assert_delivered_exactly_once(stack, receivers, fates, delivering)
