"""Noisy neighbour: a healthy receiver's delivery rate while a receiver that never answers shares the
delivery queue, as a ratio of its rate alone (goal: at least 0.9). The dead receiver's breaker opens after
its first failures (which hang until the delivery timeout), and from then on its deliveries are parked
unsent instead of holding delivery slots.

Activities of both kinds come in stream batches (CHUNK of each kind), fanned out SHARDS at a time, each
once the healthy receiver has had the batch two before it, while the deliver function's POLLERS (several at
once, as Lambda's pollers run) work through the queue.

The two stacks, alone and beside the dead receiver, run side by side, each in its own process on one of the
machine's two cores, and start together: this machine's speed drifts by up to 20% from one minute to the
next, which runs one after the other measured as much as the neighbour. Each rate is the healthy receiver's
events over the same span, from the start to the end of the run that ends first: the breaker's first
failures, the parking of the dead receiver's deliveries, and the probe after the breaker's first wait are
in it. The figure is the median of ROUNDS such pairs' ratios; the same runs' first OPENING_SECONDS, in
which the breaker opens, give one more, and the healthy receiver's longest time without an event says
whether the probe held it up. ROUNDS more pairs, shorter, measure the same beside a dead receiver whose
breaker is open from the start, as through a long outage: what parking its deliveries costs, apart from
what opening the breaker cost.
"""

import itertools
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from multiprocessing.queues import SimpleQueue
from multiprocessing.synchronize import Barrier

import boto3

from bench.harness import TimedReceiver, moto_stack
from mailhooks import clock
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.fanout import fan_out
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import campaign_activity, seed_account
from tests.support.receivers import Reply, receivers
from tests.support.triggers import run_queue

# To the healthy receiver in each run: over a minute, past the breaker's first wait (60 s) and its probe.
EVENTS = 6500
# Beside a receiver whose breaker is open from the start, in each run.
EVENTS_BREAKER_OPEN = 3000
# The first seconds of each run, in which the breaker opens: their figure is reported too.
OPENING_SECONDS = 30.0
POLLERS = 5
# Stream batches fanned out at once, as the activity stream's shards are. With one, fanning out the dead
# receiver's messages too, in this one process, was what bounded the healthy receiver's rate.
SHARDS = 2
# Activities of each kind that one batch of the activity stream brings.
CHUNK = 50
ROUNDS = 3
# Short, so that the POSTs the dead receiver holds before its breaker opens do not dominate a short run.
TIMEOUT_SECONDS = "1"


@dataclass(frozen=True)
class Run:
    started: float
    # When each of the healthy receiver's events arrived (time.time()).
    arrivals: list[float]
    # Beside the dead receiver: the POSTs it was sent.
    dead_posts: int | None = None

    @property
    def ended(self) -> float:
        return max(self.arrivals)

    def longest_gap(self) -> float:
        """The longest the healthy receiver went without an event, from the start."""
        times = sorted([self.started, *self.arrivals])
        return max(later - earlier for earlier, later in itertools.pairwise(times))

    def rate(self, start: float, end: float) -> float:
        """The healthy receiver's events per second from start to end."""
        return sum(start < arrival <= end for arrival in self.arrivals) / (end - start)


class Neighbour(StrEnum):
    NONE = "none"
    DEAD = "dead"
    # Dead, its breaker open from the start, as it is through a long outage: what is left is the cost of its
    # messages alone.
    DEAD_OPEN = "dead, breaker open"


def _run(neighbour: Neighbour, events: int, ready: Barrier) -> Run:
    healthy = TimedReceiver()
    try:
        with (
            moto_stack(ALLOW_LOCAL_ENDPOINTS="true", DELIVERY_TIMEOUT=TIMEOUT_SECONDS) as stack,
            receivers() as start,
        ):
            from functions.delivery.app import handler as deliver

            seed_account(1)
            endpoints = [("healthy", healthy.url, ActivityKind.CLICK)]
            dead = start(Reply(delay=60)) if neighbour is not Neighbour.NONE else None
            if dead is not None:
                endpoints.append(("dead", dead.url(), ActivityKind.OPEN))
            if neighbour is Neighbour.DEAD_OPEN:
                health_records().open((1, "dead"), clock.now(), clock.now() + timedelta(hours=1))
            for name, url, kind in endpoints:
                export_endpoint_records().put_export_endpoint(
                    ExportEndpoint(id=name, account_id=1, url=url, activities=[kind], secret=new_secret())
                )
            kinds = [kind for _, _, kind in endpoints]
            stop = threading.Event()

            def poll() -> None:
                sqs = boto3.client("sqs")
                while not stop.is_set():
                    if not run_queue(stack, "DeliveryQueue", deliver, sqs=sqs):
                        time.sleep(0.01)

            def stream_batch(first: int) -> None:
                # It comes once the healthy receiver has had the batch two before it: the queue never runs
                # dry, nor grows without bound.
                while len(healthy.arrived) < first - 2 * CHUNK and time.time() - started < 120:
                    time.sleep(0.005)
                numbers = range(first, first + CHUNK)
                activities = [campaign_activity(kind, n, account_id=1) for n in numbers for kind in kinds]
                assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None

            ready.wait()
            with ThreadPoolExecutor(POLLERS) as pollers:
                polling = [pollers.submit(poll) for _ in range(POLLERS)]
                started = time.time()
                try:
                    with ThreadPoolExecutor(SHARDS) as shards:
                        list(shards.map(stream_batch, range(0, events, CHUNK)))
                    deadline = time.monotonic() + 120
                    while len(healthy.arrived) < events and time.monotonic() < deadline:
                        time.sleep(0.01)
                finally:
                    stop.set()
                for poller in polling:
                    poller.result()
            assert len(healthy.arrived) == events
            if dead is not None:
                state = health_records().read([(1, "dead")])[1, "dead"].state
                assert state == "open", f"the dead receiver's breaker is {state}"
            return Run(started, list(healthy.arrived.values()), len(dead.received) if dead else None)
    finally:
        healthy.stop()


def _side_by_side(neighbour: Neighbour, events: int) -> tuple[Run, Run]:
    """A run alone and one beside the neighbour, at the same time, in two processes."""
    processes = multiprocessing.get_context("spawn")
    ready, runs = processes.Barrier(2), processes.SimpleQueue()
    pair = (Neighbour.NONE, neighbour)
    children = [processes.Process(target=_child, args=(each, events, ready, runs)) for each in pair]
    for child in children:
        child.start()
    finished = dict(runs.get() for _ in children)
    for child in children:
        child.join()
    return finished[Neighbour.NONE], finished[neighbour]


def _child(
    neighbour: Neighbour, events: int, ready: Barrier, runs: "SimpleQueue[tuple[Neighbour, Run]]"
) -> None:
    # The functions print their metrics (EMF) on stdout: keep them out of the table.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    runs.put((neighbour, _run(neighbour, events, ready)))


def _shared_span(alone: Run, beside: Run) -> tuple[float, float]:
    """From the later start to the earlier end: the span over which two runs side by side are compared."""
    return max(alone.started, beside.started), min(alone.ended, beside.ended)


@dataclass(frozen=True)
class Pair:
    """Two runs side by side: the healthy receiver alone, and beside the neighbour."""

    alone: Run
    beside: Run

    def ratio(self, within: float | None = None) -> float:
        """The healthy receiver's rate beside the neighbour as a share of its rate alone, over their shared
        span, or its first `within` seconds."""
        start, end = _shared_span(self.alone, self.beside)
        if within is not None:
            end = min(end, start + within)
        return self.beside.rate(start, end) / self.alone.rate(start, end)

    def span(self) -> float:
        start, end = _shared_span(self.alone, self.beside)
        return end - start

    def rates(self) -> tuple[float, float]:
        start, end = _shared_span(self.alone, self.beside)
        return self.alone.rate(start, end), self.beside.rate(start, end)


def _pairs(neighbour: Neighbour, events: int) -> list[Pair]:
    return [Pair(*_side_by_side(neighbour, events)) for _ in range(ROUNDS)]


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure() -> dict[str, object]:
    dead, dead_open = _pairs(Neighbour.DEAD, EVENTS), _pairs(Neighbour.DEAD_OPEN, EVENTS_BREAKER_OPEN)
    return {
        "events": EVENTS,
        "pollers": POLLERS,
        "stream_shards": SHARDS,
        "rounds": ROUNDS,
        "delivery_timeout_s": float(TIMEOUT_SECONDS),
        "seconds": round(statistics.median(pair.span() for pair in dead), 1),
        "alone_per_second": round(statistics.median(pair.rates()[0] for pair in dead), 1),
        "with_dead_neighbour_per_second": round(statistics.median(pair.rates()[1] for pair in dead), 1),
        "ratio": _median([pair.ratio() for pair in dead]),
        "ratios": [round(pair.ratio(), 3) for pair in dead],
        "goal": 0.9,
        "posts_to_dead_receiver": [pair.beside.dead_posts for pair in dead],
        # The same runs' first seconds, in which the breaker opens.
        "opening_seconds": OPENING_SECONDS,
        "opening_ratio": _median([pair.ratio(OPENING_SECONDS) for pair in dead]),
        "longest_gap_s": round(max(pair.beside.longest_gap() for pair in dead), 1),
        "alone_longest_gap_s": round(max(pair.alone.longest_gap() for pair in dead), 1),
        # Beside a receiver whose breaker was open from the start: the figure without the breaker's opening.
        "breaker_open_events": EVENTS_BREAKER_OPEN,
        "breaker_open_ratio": _median([pair.ratio() for pair in dead_open]),
        "breaker_open_ratios": [round(pair.ratio(), 3) for pair in dead_open],
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
