"""Noisy neighbour: a healthy receiver's delivery rate while a receiver that never answers shares the
delivery queue, as a ratio of its rate alone (goal: at least 0.9). The dead receiver's breaker opens after
its first failures, and from then on its messages wait unsent instead of holding delivery slots."""

import json
import time

from bench.harness import TimedReceiver, moto_stack
from mailhooks.delivery import new_secret
from mailhooks.fanout import fan_out
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.store import store
from tests.helpers import campaign_activity, seed_account
from tests.receivers import Reply, receivers
from tests.streams import run_queue

EVENTS = 500  # to the healthy receiver, in each run
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
            started = time.time()
            for first in range(0, EVENTS, 50):
                activities = [
                    campaign_activity(kind, n, account_id=1)
                    for n in range(first, first + 50)
                    for kind in kinds
                ]
                assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None
                run_queue(stack, "DeliveryQueue", deliver)
        assert len(healthy.arrived) == EVENTS
        return EVENTS / (max(healthy.arrived.values()) - started)
    finally:
        healthy.stop()


def measure() -> dict[str, object]:
    alone = _healthy_rate(with_dead_neighbour=False)
    beside_dead = _healthy_rate(with_dead_neighbour=True)
    return {
        "events": EVENTS,
        "delivery_timeout_s": float(TIMEOUT_SECONDS),
        "alone_per_second": round(alone, 1),
        "with_dead_neighbour_per_second": round(beside_dead, 1),
        "ratio": round(beside_dead / alone, 3),
        "goal": 0.9,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
