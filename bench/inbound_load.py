"""Inbound: requests per second and p50/p99 latency of add-subscriber calls from 16 concurrent clients to
the local stack, beside the same front and function answering a request that does no work (a GET,
answered 405 before any AWS call). The ratio is the figure: what the operation costs over the front.

The two go round by round, each round an add_subscriber run and then an empty one, and the figure is the
median of the rounds' ratios: this machine's speed drifts by more than the figure's goal within a minute
(one run of each, one after the other, gave 0.055 and then 0.107 on the same code), and a drift weighs
alike on the two runs of a round. Each empty run starts once what the round's subscriptions set off (their
fan-out and deliveries, a callback each to the demo account's receiver) is done: a fast add_subscriber run
leaves a second or two of it behind, which would slow the empty handler down, and flatter the ratio."""

import json
import queue
import threading
import time

import requests

from bench.harness import admin_api, local_stack, median, percentile
from devstack.environment import RECEIVER_URL
from devstack.receiver import JSON_ROUTE
from mailhooks.accounts import create_api_key

CLIENTS = 16
ROUNDS = 5
# Per round: add_subscriber calls for a few seconds, then five times as many empty requests, about a second.
SUBSCRIBING, EMPTY = 96, 480
# Issue 17's goal: three times the ratio measured before it, in the same run as the empty handler.
BEFORE_RATIO, BEFORE_DATE = 0.027, "2026-11-30"
GOAL_RATIO = round(3 * BEFORE_RATIO, 3)


class _Run:
    """Latencies and statuses of one load, and how long it took."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.wall = 0.0

    def per_second(self) -> float:
        return len(self.latencies) / self.wall


def _figures(runs: list[_Run]) -> dict[str, object]:
    latencies = [latency for run in runs for latency in run.latencies]
    return {
        "requests": len(latencies),
        "statuses": sorted({status for run in runs for status in run.statuses}),
        "per_second": round(len(latencies) / sum(run.wall for run in runs), 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def _load(method: str, url: str, bodies: list[bytes | None]) -> _Run:
    """Send every body from CLIENTS threads, each with its own keep-alive session."""
    waiting: queue.Queue[bytes | None] = queue.Queue()
    for body in bodies:
        waiting.put(body)
    run = _Run()
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
                run.latencies.append(time.perf_counter() - started)
                run.statuses.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.wall = time.perf_counter() - started
    return run


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
        subscribing, drained, empty = [], [], []
        for round_number in range(ROUNDS):
            bodies: list[bytes | None] = [
                json.dumps({"email": f"p{round_number}-{n}@bench.example"}).encode()
                for n in range(SUBSCRIBING)
            ]
            before = _callbacks(environment)
            subscribing.append(_load("POST", webhook["url"], bodies))
            drained.append(_drained(environment, before + SUBSCRIBING))
            empty.append(_load("GET", webhook["url"], [None] * EMPTY))
    ratios = [
        calls.per_second() / answered.per_second() for calls, answered in zip(subscribing, empty, strict=True)
    ]
    return {
        "clients": CLIENTS,
        "rounds": ROUNDS,
        "add_subscriber": _figures(subscribing),
        "drained_seconds": max(drained),
        "empty_handler": _figures(empty),
        "round_ratios": [round(ratio, 3) for ratio in ratios],
        "ratio": round(median(ratios), 3),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
