"""Chaos delivery: activities through the real pipeline (the activity table, its stream, the fan-out
function, the delivery queue, the deliver function) to three receivers on loopback: one healthy, one that
fails 30% of requests (half with a 500, half with a reset connection), one that never answers 10% of them.
Every (activity, endpoint) ends either delivered exactly once, or in the dead-letter queue with its last
error; nothing is lost, and nothing is both.

What a receiver does with a request is drawn, from a seeded generator, for its webhook-id and for how many
times that webhook-id came: the fate of every delivery is known before the test runs, whatever order the
deliverer's threads send in, and the test checks each one against it.

The retry schedule is shortened by its setting to three attempts without waits; the deliverer's deadline
to TIMEOUT, which is all a hanging request costs. The delivery queue has POLLERS invocations at once, as
Lambda runs several: a batch waiting out a hanging request does not hold up the others.

MAILHOOKS_CHAOS_ACTIVITIES sets how many activities: 2,000, as the benchmarks issue asks, unless set.
"""

import json
import os
from collections import Counter
from collections.abc import Iterator

import pytest

from devstack.template import Stack
from mailhooks.store.activity import activity_log
from tests.support.pipeline import (
    activities,
    chaos_endpoints,
    dead_letters,
    logged_statuses,
    webhook_id,
)
from tests.support.receivers import (
    ERROR_BODY,
    Behaviour,
    Chaos,
    Receivers,
    assert_counts,
    fate,
)
from tests.support.triggers import QueueTrigger, StreamTrigger

SEED = 20261122
ACTIVITIES = int(os.environ.get("MAILHOOKS_CHAOS_ACTIVITIES", "2000"))
RECEIVERS = [
    Chaos("healthy", SEED),
    Chaos("flaky", SEED, error=0.15, reset=0.15),
    Chaos("slow", SEED, hang=0.10),
]
# Seconds before each retry: none, so that the three attempts of a delivery follow one another.
RETRY_SCHEDULE = [0, 0]
ATTEMPTS = len(RETRY_SCHEDULE) + 1
# The deliverer's deadline for a whole answer, in seconds.
TIMEOUT = 0.5
# Invocations of the deliver function at once.
POLLERS = 3


def says(behaviour: Behaviour, error: str) -> bool:
    """Whether the error the deliverer recorded says what the receiver did."""
    if behaviour is Behaviour.ERROR:
        return error == f"HTTP 500: {ERROR_BODY.decode()}"
    if behaviour is Behaviour.HANG:
        return error == f"no complete answer within {TIMEOUT:g} s"
    return behaviour is Behaviour.RESET and error.startswith("ConnectionResetError: ")


@pytest.fixture
def receivers(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    """Account 12 with one endpoint per receiver; retries shortened, and the deadline set to TIMEOUT."""
    with chaos_endpoints(stack, monkeypatch, RECEIVERS, RETRY_SCHEDULE, TIMEOUT) as started:
        yield started


@pytest.mark.usefixtures("no_full_collections")
def test_every_delivery_is_delivered_exactly_once_or_dead_lettered_with_its_last_error(
    stack: Stack, receivers: Receivers
) -> None:
    from functions.delivery.app import handler as deliver
    from functions.fanout.app import handler as fan_out

    written = activities("chaos", ACTIVITIES)
    fates = {
        chaos.name: {
            webhook_id(activity, chaos.name): fate(chaos, webhook_id(activity, chaos.name), ATTEMPTS)
            for activity in written
        }
        for chaos in RECEIVERS
    }
    # The seeded draws fail deliveries for good in every way there is.
    given_up = Counter(each.last for by_id in fates.values() for each in by_id.values() if not each.delivered)
    assert set(given_up) == {Behaviour.ERROR, Behaviour.RESET, Behaviour.HANG}, (
        f"with {ACTIVITIES} activities, the draws give up no delivery by some behaviour: use more"
    )

    activity_log().put(written)
    delivering = QueueTrigger(stack, deliver)
    fanned_out = StreamTrigger(stack, fan_out)
    # Lambda runs both triggers side by side: the delivery queue is drained after each fan-out batch.
    drained = fanned_out.drain(
        after_each=lambda: delivering.drain(max_invocations=500, seconds=120, concurrency=POLLERS)
    )
    assert drained == ACTIVITIES
    assert (fanned_out.errors, fanned_out.given_up, delivering.errors) == ([], [], [])
    tallies = receivers.report()

    # Delivered exactly once: per webhook-id, exactly one 200 answer at its receiver, after exactly the
    # attempts its draws foretold; no 200 for one given up.
    for chaos in RECEIVERS:
        by_id = fates[chaos.name]
        tally = tallies[chaos.name]
        # A 200 answered twice would mean the deliverer missed the first: a machine too busy for TIMEOUT.
        once = Counter({each_id: 1 for each_id, each in by_id.items() if each.delivered})
        assert_counts(f"200 answers of {chaos.name}", tally.ok_answers, once)
        attempts = Counter({each_id: each.attempts for each_id, each in by_id.items()})
        assert_counts(f"requests to {chaos.name}", tally.arrivals, attempts)
    delivered = {delivered_id for tally in tallies.values() for delivered_id in tally.ok_answers}

    # Given up: in the dead-letter queue once, as it was queued, with the error of its last attempt.
    dead = dead_letters(stack)
    dead_ids = [json.loads(message["Body"])["webhook_id"] for message in dead]
    assert len(set(dead_ids)) == len(dead_ids)
    for message in dead:
        body = json.loads(message["Body"])
        attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
        foretold = fates[body["endpoint_id"]][body["webhook_id"]]
        assert not foretold.delivered, body["webhook_id"]
        assert attributes["attempts"] == str(ATTEMPTS)
        assert says(foretold.last, attributes["error"]), (foretold.last, attributes["error"])
        assert attributes.get("status_code") == ("500" if foretold.last is Behaviour.ERROR else None)

    # The counts add up exactly, and the delivery log agrees.
    assert delivered.isdisjoint(dead_ids)
    assert len(delivered) + len(dead_ids) == ACTIVITIES * len(RECEIVERS)
    assert len(dead_ids) == sum(given_up.values())
    assert logged_statuses() == Counter({"delivered": len(delivered), "failed": len(dead_ids)})
    assert delivering.in_flight() == 0
