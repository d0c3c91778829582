"""Noisy neighbour: a healthy receiver's delivery rate while a receiver that never answers shares the
delivery queue, as a ratio of its rate alone (goal: at least 0.9). The dead receiver's breaker opens after
its first failures (which hang until the delivery timeout), and from then on its messages wait unsent
instead of holding delivery slots.

Activities of both kinds come in stream batches (CHUNK of each kind), each fanned out once the healthy
receiver has had the batch before last, while the deliver function's POLLERS (several at once, as Lambda's
pollers run) work through the queue. The
rate is the healthy receiver's events over the time from the first fan-out to its last arrival: the
breaker's first failures and the fan-out of the dead receiver's messages are in it. The machine's speed
drifts from one run to the next, so runs alone and beside the dead receiver alternate, ROUNDS pairs of
them, and the figure is the median of the pairs' ratios."""

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.harness import TimedReceiver, moto_stack
from mailhooks.delivery import new_secret
from mailhooks.fanout import fan_out
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.store import store
from tests.helpers import campaign_activity, seed_account
from tests.receivers import Reply, receivers
from tests.streams import run_queue

EVENTS = 2000  # to the healthy receiver, in each run
POLLERS = 5
# Activities of each kind that one batch of the activity stream brings.
CHUNK = 50
ROUNDS = 3
# Short, so that the POSTs the dead receiver holds before its breaker opens do not dominate a short run.
TIMEOUT_SECONDS = "1"


def _healthy_rate(with_dead_neighbour: bool) -> float:
    healthy = TimedReceiver()
    try:
        with (
            moto_stack(ALLOW_LOCAL_ENDPOINTS="true", DELIVERY_TIMEOUT=TIMEOUT_SECONDS) as stack,
            receivers() as start,
        ):
            from functions.deliver.app import handler as deliver

            seed_account(1)
            endpoints = [("healthy", healthy.url, ActivityKind.CLICK)]
            if with_dead_neighbour:
                endpoints.append(("dead", start(Reply(delay=60)).url(), ActivityKind.OPEN))
            for name, url, kind in endpoints:
                store().put_export_endpoint(
                    ExportEndpoint(id=name, account_id=1, url=url, activities=[kind], secret=new_secret())
                )
            kinds = [kind for _, _, kind in endpoints]
            stop = threading.Event()

            def poll() -> None:
                while not stop.is_set():
                    if not run_queue(stack, "DeliveryQueue", deliver):
                        time.sleep(0.01)

            with ThreadPoolExecutor(POLLERS) as pollers:
                polling = [pollers.submit(poll) for _ in range(POLLERS)]
                started = time.time()
                try:
                    for first in range(0, EVENTS, CHUNK):
                        activities = [
                            campaign_activity(kind, n, account_id=1)
                            for n in range(first, first + CHUNK)
                            for kind in kinds
                        ]
                        assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None
                        # The stream's next batch comes once the healthy receiver has the one before: the
                        # queue never runs dry, nor grows without bound.
                        while len(healthy.arrived) < first and time.time() - started < 120:
                            time.sleep(0.005)
                    deadline = time.monotonic() + 120
                    while len(healthy.arrived) < EVENTS and time.monotonic() < deadline:
                        time.sleep(0.01)
                finally:
                    stop.set()
                for poller in polling:
                    poller.result()
        assert len(healthy.arrived) == EVENTS
        return EVENTS / (max(healthy.arrived.values()) - started)
    finally:
        healthy.stop()


def measure() -> dict[str, object]:
    pairs = [
        (_healthy_rate(with_dead_neighbour=False), _healthy_rate(with_dead_neighbour=True))
        for _ in range(ROUNDS)
    ]
    alone, beside_dead = (statistics.median(rates) for rates in zip(*pairs, strict=True))
    return {
        "events": EVENTS,
        "pollers": POLLERS,
        "rounds": ROUNDS,
        "delivery_timeout_s": float(TIMEOUT_SECONDS),
        "alone_per_second": round(alone, 1),
        "with_dead_neighbour_per_second": round(beside_dead, 1),
        "ratio": round(statistics.median(dead / alone for alone, dead in pairs), 3),
        "ratios": [round(dead / alone, 3) for alone, dead in pairs],
        "goal": 0.9,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
