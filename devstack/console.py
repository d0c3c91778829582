"""The functions' output in a terminal: each JSON line Powertools writes (a log record, or the metrics of an
invocation in CloudWatch's embedded format) as one readable line, every key kept; other text as it is.

Installed only when stdout is a terminal: piped, the output stays the JSON lines the functions write in
Lambda, for jq and the like. Each thread's text is passed on line by line, so that lines written at once by
several functions do not mix.
"""

import io
import json
import threading
from datetime import UTC, datetime
from typing import Any, TextIO

# Keys of every Powertools record that say where it ran rather than what happened.
_CONTEXT = {
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
    "exception",
    "exception_name",
    "stack_trace",
}
_DIM = "\033[2m"
_COLOURS = {"DEBUG": _DIM, "WARNING": "\033[33m", "ERROR": "\033[31m", "CRITICAL": "\033[31;1m"}
_RESET = "\033[0m"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _time(record: dict[str, Any]) -> str:
    # Powertools writes "2026-11-25 12:34:56,789+0000".
    stamp = str(record.get("timestamp", ""))
    return stamp[11:23] if len(stamp) >= 23 else stamp


def _log_line(record: dict[str, Any]) -> str:
    request = str(record.get("function_request_id", ""))[:8]
    extras = "".join(f" {key}={_value(value)}" for key, value in record.items() if key not in _CONTEXT)
    line = (
        f"{_time(record)} {record['level']:<7} {record.get('service', '-')}"
        f"{f' [{request}]' if request else ''} {_value(record['message'])}{extras}"
    )
    colour = _COLOURS.get(str(record["level"]))
    if colour:
        line = f"{colour}{line}{_RESET}"
    if record.get("exception"):
        line += "\n" + "\n".join(f"    {part}" for part in str(record["exception"]).splitlines())
    return line


def _metric(value: Any) -> str:
    # One invocation's metric is usually one sample: [1.0] reads as 1.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _value(value)


def _metrics_line(record: dict[str, Any]) -> str:
    names = [
        metric["Name"]
        for directive in record["_aws"].get("CloudWatchMetrics", [])
        for metric in directive.get("Metrics", [])
    ]
    moment = datetime.fromtimestamp(record["_aws"].get("Timestamp", 0) / 1000, UTC)
    values = " ".join(f"{name}={_metric(record.get(name))}" for name in names)
    when = f"{moment:%H:%M:%S},{moment.microsecond // 1000:03d}"
    return f"{_DIM}{when} METRICS {record.get('service', '-')} {values}{_RESET}"


def render(line: str) -> str:
    """The line for a terminal: a Powertools record rendered, anything else unchanged."""
    if not line.startswith("{"):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if isinstance(record.get("_aws"), dict):
        return _metrics_line(record)
    if "level" in record and "message" in record:
        return _log_line(record)
    return line


class Console(io.TextIOBase):
    """A text stream over the terminal's that renders what is written to it, line by line."""

    def __init__(self, terminal: TextIO) -> None:
        self.terminal = terminal
        self._partial = threading.local()
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.terminal.isatty()

    def write(self, text: str) -> int:
        pending: str = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = pending.split("\n")
        if lines:
            with self._lock:
                self.terminal.write("".join(f"{render(line)}\n" for line in lines))
                self.terminal.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self.terminal.flush()
