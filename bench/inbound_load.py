"""Inbound: requests per second and p50/p99 latency of add-subscriber calls from 16 concurrent clients to
the local stack, beside the same front and function answering a request that does no work (a GET,
answered 405 before any AWS call). The ratio is the figure: what the operation costs over the front.

The empty handler's run starts once what the subscriptions set off (their fan-out and deliveries, a
callback each to the demo account's receiver) is done: a fast add_subscriber run leaves a second or two of
it behind, which would slow the empty handler down, and flatter the ratio."""

import json
import queue
import threading
import time

import requests

from bench.harness import admin_api, local_stack, percentile
from devstack.environment import RECEIVER_URL
from devstack.receiver import JSON_ROUTE
from mailhooks.accounts import create_api_key

CLIENTS = 16
REQUESTS = 320
# Issue 17's goal: three times the ratio measured before it, in the same run as the empty handler.
BEFORE_RATIO, BEFORE_DATE = 0.027, "2026-11-30"
GOAL_RATIO = round(3 * BEFORE_RATIO, 3)


def _load(method: str, url: str, bodies: list[bytes | None]) -> dict[str, float]:
    """Send every body from CLIENTS threads, each with its own keep-alive session."""
    waiting: queue.Queue[bytes | None] = queue.Queue()
    for body in bodies:
        waiting.put(body)
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while True:
            try:
                body = waiting.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            status = session.request(
                method, url, data=body, timeout=30, headers={"Content-Type": "application/json"}
            ).status_code
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "statuses": sorted(set(statuses)),  # type: ignore[dict-item]
        "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def _callbacks(environment: dict[str, str]) -> int:
    received = requests.get(environment[RECEIVER_URL] + JSON_ROUTE, timeout=30)
    received.raise_for_status()
    return len(received.json())


def _drained(environment: dict[str, str], expected: int, timeout: float = 120.0) -> float:
    """Seconds until the receiver holds `expected` callbacks (at most `timeout`)."""
    started = time.perf_counter()
    while _callbacks(environment) < expected and time.perf_counter() - started < timeout:
        time.sleep(0.2)
    return round(time.perf_counter() - started, 1)


def measure() -> dict[str, object]:
    with local_stack() as environment:
        _, key = create_api_key(1, "bench")
        admin = admin_api(environment["MAILHOOKS_API_URL"], key)
        webhook = admin(
            "POST",
            "/inbound-webhooks",
            {
                "name": "Bench",
                "operation": "add_subscriber",
                "list_id": 2222,
                "sample_payload": {"email": "a@example.com"},
                "mapping": {"email": "/email"},
            },
        )
        bodies: list[bytes | None] = [
            json.dumps({"email": f"p{n}@bench.example"}).encode() for n in range(REQUESTS)
        ]
        before = _callbacks(environment)
        subscribing = _load("POST", webhook["url"], bodies)
        drained = _drained(environment, before + REQUESTS)
        empty = _load("GET", webhook["url"], [None] * REQUESTS)
    return {
        "clients": CLIENTS,
        "add_subscriber": subscribing,
        "drained_seconds": drained,
        "empty_handler": empty,
        "ratio": round(subscribing["per_second"] / empty["per_second"], 3),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
