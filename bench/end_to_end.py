"""End to end: 5,000 activity records written in bursts to the activity table; callbacks received per second
at a loopback receiver, and p50/p95/p99 from activity write to receipt. Beside it, the same receiver driven
by a plain pooled HTTP client with the same concurrency as one delivery batch: the limit of this machine.
The ratio is the figure.

The pipeline is the real one (the activity table's stream, the fan-out function, the delivery queue, the
deliver function) with moto in this process: the local stack's moto server, over HTTP and one request at a
time, caps the whole stack at a few events a second (see inbound_load), which would measure moto, not
mailhooks."""

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

from bench.harness import TimedReceiver, moto_stack, percentile
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.store.activity import activity_log
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import FakeLambdaContext, campaign_activity, seed_account
from tests.support.streams import StreamTail
from tests.support.triggers import run_queue

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
BURST = 500
# One delivery batch POSTs its ten messages at once.
CONCURRENCY = 10


def _plain_client(url: str, count: int) -> float:
    """Callbacks per second that a plain pooled client gets from the receiver at the same concurrency."""
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=CONCURRENCY))
    body = json.dumps(
        {
            "account_id": 1,
            "action_id": 345,
            "type_id": 1,
            "activity_id": 2,
            "email": "p@example.com",
            "timestamp": "2026-11-25 12:00:00.000000",
        }
    )

    def post(number: int) -> None:
        session.post(
            url,
            data=body,
            timeout=10,
            headers={"webhook-id": f"plain_{number}", "Content-Type": "application/json"},
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(post, range(count)))
    return count / (time.perf_counter() - started)


def measure() -> dict[str, object]:
    receiver = TimedReceiver()
    try:
        with moto_stack(ALLOW_LOCAL_ENDPOINTS="true") as stack:
            # Imported as a container does, with the functions' environment set.
            from functions.delivery.app import handler as deliver
            from functions.fanout.app import handler as fan_out

            seed_account(1)
            export_endpoint_records().put_export_endpoint(
                ExportEndpoint(
                    id="ep",
                    account_id=1,
                    url=receiver.url,
                    activities=[ActivityKind.OPEN],
                    secret=new_secret(),
                )
            )
            tail = StreamTail(stack, "ActivityTable")
            written: dict[str, float] = {}
            for start in range(0, EVENTS, BURST):
                burst = [
                    campaign_activity(ActivityKind.OPEN, n, account_id=1) for n in range(start, start + BURST)
                ]
                activity_log().put(burst)
                now = time.time()
                written.update({f"msg_{record.id}_ep": now for record in burst})
                # As the stream trigger does: batches of up to 100 records.
                event = tail.next_event()
                for first in range(0, len(event["Records"]), 100):
                    fan_out({"Records": event["Records"][first : first + 100]}, FakeLambdaContext())
                run_queue(stack, "DeliveryQueue", deliver)
        latencies = [
            receiver.arrived[webhook_id] - written[webhook_id]
            for webhook_id in written
            if webhook_id in receiver.arrived
        ]
        span = max(receiver.arrived.values()) - min(written.values())
        pipeline = len(latencies) / span
        plain = _plain_client(receiver.url, EVENTS)
    finally:
        receiver.stop()
    return {
        "events": EVENTS,
        "received": len(latencies),
        "burst": BURST,
        "per_second": round(pipeline, 1),
        "p50_s": round(percentile(latencies, 0.5), 2),
        "p95_s": round(percentile(latencies, 0.95), 2),
        "p99_s": round(percentile(latencies, 0.99), 2),
        "concurrency": CONCURRENCY,
        "plain_client_per_second": round(plain, 1),
        "ratio": round(pipeline / plain, 3),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
