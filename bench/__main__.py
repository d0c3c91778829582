"""make bench: every benchmark in one run on this machine; bench/results.json and a markdown table."""

import contextlib
import io
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cold_start, cost, cpu, end_to_end, inbound_load, noisy_neighbour, parallelism

RESULTS = Path(__file__).resolve().parent / "results.json"


def _machine() -> str:
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {python}, {platform.system()}"


def table(results: dict[str, object]) -> str:
    rows: list[tuple[str, str, str]] = []
    started = results["cold_start"]
    assert isinstance(started, dict)
    for name, figures in started["functions"].items():
        rows.append(
            (
                f"cold start: import of {name}'s handler",
                f"{figures['import_ms']} ms of CPU (wall {figures['wall_ms']} ms) vs boto3 alone "
                f"{started['boto3_import_ms']} ms, vs a bare Powertools handler "
                f"{started['baseline_import_ms']} ms",
                f"{figures['ratio_to_boto3']}x boto3, {figures['ratio_to_baseline']}x baseline",
            )
        )
    priced = results["cost"]
    assert isinstance(priced, dict)
    for name, figures in priced["inbound"].items():
        calls = sum(figures["aws_calls"].values())
        rows.append(
            (
                f"cost: one inbound {name} call",
                f"{calls} AWS calls, {figures['handler_ms']} ms",
                f"${figures['usd_per_million']} per million (lower bound "
                f"${figures['lower_bound_usd_per_million']})",
            )
        )
    delivered = priced["delivered_event"]
    rows.append(
        (
            "cost: one delivered event, stream record to receiver",
            f"{sum(delivered['aws_calls'].values()) / delivered['events']:.2f} AWS calls, "
            f"{delivered['handler_ms_per_event']} ms",
            f"${delivered['usd_per_million']} per million (lower bound "
            f"${delivered['lower_bound_usd_per_million']})",
        )
    )
    own = results["cpu"]
    assert isinstance(own, dict)
    recorded = (
        "each AWS call answered from a recording: botocore builds, signs and parses it, nothing is sent"
    )
    inbound_cpu = ", ".join(f"{name} {figures['cpu_ms']} ms" for name, figures in own["inbound"].items())
    rows.append(("our CPU per inbound call", recorded, inbound_cpu))
    rows.append(
        (
            "our CPU per delivered event, fan-out and delivery",
            recorded,
            f"{own['delivered_event']['cpu_ms']} ms",
        )
    )
    parallel = results["parallelism"]
    assert isinstance(parallel, dict)
    rows.append(
        (
            "delivery: one SQS batch of 10 to a receiver answering in 100 ms",
            f"{parallel['batch_wall_ms_median']} ms (target < {parallel['target_ms']} ms)",
            f"{parallel['sequential_would_take_ms'] / parallel['batch_wall_ms_median']:.1f}x faster than "
            "one at a time",
        )
    )
    flow = results["end_to_end"]
    assert isinstance(flow, dict)
    rows.append(
        (
            f"end to end: {flow['events']} activities written in bursts of {flow['burst']}, to a loopback "
            "receiver",
            f"{flow['per_second']} callbacks/s; write to receipt p50 {flow['p50_s']} s, "
            f"p95 {flow['p95_s']} s, p99 {flow['p99_s']} s; a plain pooled client at the same concurrency: "
            f"{flow['plain_client_per_second']}/s",
            f"{flow['ratio']}",
        )
    )
    inbound = results["inbound"]
    assert isinstance(inbound, dict)
    calls, empty = inbound["add_subscriber"], inbound["empty_handler"]
    rows.append(
        (
            f"inbound on the local stack: add_subscriber, {inbound['clients']} concurrent clients",
            f"{calls['per_second']} req/s, p50 {calls['p50_ms']} ms, p99 {calls['p99_ms']} ms; the same "
            f"front answering without work: {empty['per_second']} req/s, p50 {empty['p50_ms']} ms",
            f"{inbound['ratio']}",
        )
    )
    noisy = results["noisy_neighbour"]
    assert isinstance(noisy, dict)
    rows.append(
        (
            f"noisy neighbour: a healthy receiver's {noisy['events']} deliveries beside a receiver that "
            "never answers",
            "; ".join(
                [
                    f"{noisy['with_dead_neighbour_per_second']}/s beside it, {noisy['alone_per_second']}/s "
                    f"alone, over {noisy['seconds']} s, past the breaker's first wait ({noisy['pollers']} "
                    f"deliver invocations at once, delivery timeout {noisy['delivery_timeout_s']} s, medians "
                    f"of {noisy['rounds']} pairs of runs side by side)",
                    f"the dead receiver was sent at most {max(noisy['posts_to_dead_receiver'])} POSTs in a "
                    "run",
                    f"the first {noisy['opening_seconds']:g} s, as the breaker opens: "
                    f"{noisy['opening_ratio']}",
                    f"the healthy receiver's longest time without an event: {noisy['longest_gap_s']} s "
                    f"({noisy['alone_longest_gap_s']} s alone)",
                    f"beside one whose breaker was open from the start ({noisy['breaker_open_events']} "
                    f"deliveries): {noisy['breaker_open_ratio']} "
                    f"({', '.join(map(str, noisy['breaker_open_ratios']))})",
                ]
            ),
            f"{noisy['ratio']} (goal {noisy['goal']}; each run: {', '.join(map(str, noisy['ratios']))})",
        )
    )
    lines = ["| measure | value | figure |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    return "\n".join(lines)


def main() -> None:
    started = time.perf_counter()
    # The functions print their metrics (EMF) on stdout: keep them out of the table.
    with contextlib.redirect_stdout(io.StringIO()):
        results = _measure_all()
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"mailhooks benchmarks, {results['date']}, {results['machine']} ({results['seconds']} s)\n")
    print(table(results))


def _measure_all() -> dict[str, object]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": _machine(),
        "cold_start": cold_start.measure(),
        "cost": cost.measure(),
        "cpu": cpu.measure(),
        "parallelism": parallelism.measure(),
        "end_to_end": end_to_end.measure(),
        "inbound": inbound_load.measure(),
        "noisy_neighbour": noisy_neighbour.measure(),
    }


if __name__ == "__main__":
    main()
