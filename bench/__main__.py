"""make bench: every benchmark in one run on this machine; bench/results.json and a markdown table."""

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cold_start, cost, parallelism

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
                f"{figures['import_ms']} ms vs boto3 alone {started['boto3_import_ms']} ms",
                f"{figures['ratio_to_boto3']}x",
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
    lines = ["| measure | value | figure |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]
    return "\n".join(lines)


def main() -> None:
    started = time.perf_counter()
    results: dict[str, object] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": _machine(),
        "cold_start": cold_start.measure(),
        "cost": cost.measure(),
        "parallelism": parallelism.measure(),
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"mailhooks benchmarks, {results['date']}, {results['machine']} ({results['seconds']} s)\n")
    print(table(results))


if __name__ == "__main__":
    main()
