"""make bench: every benchmark in one run on this machine; bench/results.json and a markdown table."""

import contextlib
import io
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import cold_start, cost, cpu, end_to_end, first_call, inbound_load, noisy_neighbour, parallelism

RESULTS = Path(__file__).resolve().parent / "results.json"
Row = tuple[str, str, str, str]


def _machine() -> str:
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {python}, {platform.system()}"


def _goal(goal: str, met: bool) -> str:
    return f"{goal}: {'met' if met else '**not met**'}"


def _cold_start_rows(started: dict[str, Any]) -> list[Row]:
    return [
        (
            f"cold start: import of {name}'s handler",
            f"{figures['import_ms']} ms of CPU (wall {figures['wall_ms']} ms) vs boto3 alone "
            f"{started['boto3_import_ms']} ms, vs a bare Powertools handler "
            f"{started['baseline_import_ms']} ms ({started['baseline_paused_import_ms']} ms with the "
            "collector paused over it, as ours are)",
            f"{figures['ratio_to_boto3']}x boto3, {figures['ratio_to_baseline']}x baseline",
            _goal(
                f"≤ {cold_start.GOAL_TO_BOTO3}x boto3, ≤ {cold_start.GOAL_TO_BASELINE}x baseline",
                figures["ratio_to_boto3"] <= cold_start.GOAL_TO_BOTO3
                and figures["ratio_to_baseline"] <= cold_start.GOAL_TO_BASELINE,
            ),
        )
        for name, figures in started["functions"].items()
    ]


def _first_call_rows(first: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for measured, caller in (
        ("operations", "the inbound function, as its caller waits"),
        ("admin_requests", "the admin API, as an owner's first request to a resource waits"),
    ):
        calls = first[measured].items()
        rows.append(
            (
                f"cold start of {caller}: import (init), then first call",
                ", ".join(f"{name} {each['import_ms']} + {each['first_call_ms']} ms" for name, each in calls),
                f"the first call {min(each['first_call_ms'] for _, each in calls)} to "
                f"{max(each['first_call_ms'] for _, each in calls)} ms of CPU, medians of {first['rounds']}",
                "measured, no goal",
            )
        )
    return rows


def _cost_rows(priced: dict[str, Any], own: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, figures in priced["inbound"].items():
        calls = sum(figures["aws_calls"].values())
        most = cost.GOAL_AWS_CALLS[name]
        rows.append(
            (
                f"cost: one inbound {name} call",
                f"{calls} AWS calls, {figures['handler_ms']} ms",
                f"${figures['usd_per_million']} per million (lower bound "
                f"${figures['lower_bound_usd_per_million']})",
                _goal(f"≤ {most} AWS calls", calls <= most),
            )
        )
    delivered = priced["delivered_event"]
    ratio = delivered["usd_per_million"] / delivered["lower_bound_usd_per_million"]
    rows.append(
        (
            "cost: one delivered event, stream record to receiver",
            f"{sum(delivered['aws_calls'].values()) / delivered['events']:.2f} AWS calls, "
            f"{delivered['handler_ms_per_event']} ms",
            f"${delivered['usd_per_million']} per million (lower bound "
            f"${delivered['lower_bound_usd_per_million']}): {ratio:.2f}x",
            _goal(
                f"≤ {cost.GOAL_DELIVERY_TO_LOWER_BOUND}x the lower bound",
                ratio <= cost.GOAL_DELIVERY_TO_LOWER_BOUND,
            ),
        )
    )
    recorded = (
        "each AWS call answered from a recording: botocore builds, signs and parses it, nothing is sent"
    )
    inbound_cpu = ", ".join(f"{name} {figures['cpu_ms']} ms" for name, figures in own["inbound"].items())
    rows.append(("our CPU per inbound call", recorded, inbound_cpu, "measured, no goal"))
    rows.append(
        (
            "our CPU per delivered event, fan-out and delivery",
            recorded,
            f"{own['delivered_event']['cpu_ms']} ms",
            "measured, no goal",
        )
    )
    return rows


def _delivery_rows(parallel: dict[str, Any], flow: dict[str, Any]) -> list[Row]:
    in_parallel, local = parallel["aws_in_parallel"], parallel["local_stack"]
    return [
        (
            "delivery: one SQS batch of 10 to a receiver answering in 100 ms, AWS answering each call "
            f"{in_parallel['aws_latency_ms']:g} ms after it is made, calls made at once at once",
            f"median {in_parallel['batch_wall_ms_median']} ms of {parallel['rounds']} (best "
            f"{in_parallel['batch_wall_ms_best']}, worst {in_parallel['batch_wall_ms_worst']})",
            f"{parallel['sequential_would_take_ms'] / in_parallel['batch_wall_ms_median']:.1f}x faster than "
            "one at a time",
            _goal(f"≤ {parallel['target_ms']} ms", in_parallel["met"]),
        ),
        (
            "delivery: the same batch against the local stack, which answers one AWS call at a time",
            f"median {local['batch_wall_ms_median']} ms of {parallel['rounds']} (best "
            f"{local['batch_wall_ms_best']}, worst {local['batch_wall_ms_worst']})",
            f"{parallel['sequential_would_take_ms'] / local['batch_wall_ms_median']:.1f}x faster than "
            "one at a time",
            "measured, no goal: moto answers on this machine's CPU, one call at a time",
        ),
        (
            f"end to end: {flow['events']} activities written in bursts of {flow['burst']}, to a loopback "
            "receiver",
            f"{flow['per_second']} callbacks/s; write to receipt p50 {flow['p50_s']} s, "
            f"p95 {flow['p95_s']} s, p99 {flow['p99_s']} s; a plain pooled client at the same concurrency: "
            f"{flow['plain_client_per_second']}/s",
            f"{flow['ratio']}",
            "measured, no goal",
        ),
    ]


def _inbound_row(inbound: dict[str, Any]) -> Row:
    calls, empty = inbound["add_subscriber"], inbound["empty_handler"]
    return (
        f"inbound on the local stack: add_subscriber, {inbound['clients']} concurrent clients",
        f"{calls['per_second']} req/s, p50 {calls['p50_ms']} ms, p99 {calls['p99_ms']} ms; the same "
        f"front answering without work: {empty['per_second']} req/s, p50 {empty['p50_ms']} ms",
        f"{inbound['ratio']}",
        _goal(
            f"≥ {inbound_load.GOAL_RATIO} (3x the {inbound_load.BEFORE_RATIO} of {inbound_load.BEFORE_DATE})",
            inbound["ratio"] >= inbound_load.GOAL_RATIO,
        ),
    )


def _noisy_row(noisy: dict[str, Any]) -> Row:
    return (
        f"noisy neighbour: a healthy receiver's {noisy['events']} deliveries beside a receiver that "
        "never answers",
        "; ".join(
            [
                f"{noisy['with_dead_neighbour_per_second']}/s beside it, {noisy['alone_per_second']}/s "
                f"alone, over {noisy['seconds']} s, past the breaker's first wait ({noisy['pollers']} "
                f"deliver invocations at once, delivery timeout {noisy['delivery_timeout_s']} s, medians "
                f"of {noisy['rounds']} pairs of runs side by side)",
                f"the dead receiver was sent at most {max(noisy['posts_to_dead_receiver'])} POSTs in a run",
                f"the first {noisy['opening_seconds']:g} s, as the breaker opens: {noisy['opening_ratio']}",
                f"the healthy receiver's longest time without an event: {noisy['longest_gap_s']} s "
                f"({noisy['alone_longest_gap_s']} s alone)",
                f"beside one whose breaker was open from the start ({noisy['breaker_open_events']} "
                f"deliveries): {noisy['breaker_open_ratio']} "
                f"({', '.join(map(str, noisy['breaker_open_ratios']))})",
            ]
        ),
        f"{noisy['ratio']} (each run: {', '.join(map(str, noisy['ratios']))})",
        _goal(f"≥ {noisy['goal']}", noisy["ratio"] >= noisy["goal"]),
    )


def table(results: dict[str, Any]) -> str:
    rows = [
        *_cold_start_rows(results["cold_start"]),
        *_first_call_rows(results["first_call"]),
        *_cost_rows(results["cost"], results["cpu"]),
        *_delivery_rows(results["parallelism"], results["end_to_end"]),
        _inbound_row(results["inbound"]),
        _noisy_row(results["noisy_neighbour"]),
    ]
    lines = [
        "| measure | value | figure | goal |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
    ]
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
        "first_call": first_call.measure(),
        "cost": cost.measure(),
        "cpu": cpu.measure(),
        "parallelism": parallelism.measure(),
        "end_to_end": end_to_end.measure(),
        "inbound": inbound_load.measure(),
        "noisy_neighbour": noisy_neighbour.measure(),
    }


if __name__ == "__main__":
    main()
