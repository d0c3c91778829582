"""The template's event sources other than Api events (DynamoDB streams, SQS queues, SNS topics, rate
schedules): what invokes each function besides the front, with the settings its event says, SAM's defaults
otherwise."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.filters import EventFilter
from devstack.template import Stack

REPORT_FAILURES = "ReportBatchItemFailures"

# The properties of each event type the pollers apply; a template event that sets another is run without
# it, and the banner says so.
_APPLIED = {
    "DynamoDB": {
        "Stream",
        "StartingPosition",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FilterCriteria",
        "FunctionResponseTypes",
        "BisectBatchOnFunctionError",
        "MaximumRetryAttempts",
        "DestinationConfig",
        "Enabled",
    },
    "SQS": {
        "Queue",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FilterCriteria",
        "FunctionResponseTypes",
        "ScalingConfig",
        "Enabled",
    },
    "SNS": {"Topic", "FilterPolicy", "FilterPolicyScope"},
    "Schedule": {"Schedule", "Enabled"},
}
_RATE = re.compile(r"rate\((\d+) (minute|hour|day)s?\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class StreamTrigger:
    """A DynamoDB stream event source mapping."""

    function: str
    event: str
    source: str
    stream_arn: str
    starting_position: str
    batch_size: int
    window: float
    filter: EventFilter | None
    report_failures: bool
    bisect: bool
    # -1: until the records expire from the stream.
    max_retries: int
    on_failure: str | None

    def describe(self, stack: Stack) -> str:
        settings = [
            self.starting_position,
            f"batch {self.batch_size}",
            f"window {self.window:g} s",
            *(["filtered"] if self.filter else []),
            *(["partial batch responses"] if self.report_failures else []),
            *(["bisect on error"] if self.bisect else []),
            "retries until the records expire" if self.max_retries < 0 else f"{self.max_retries} retries",
            *([f"then to {stack.logical_id(self.on_failure)}"] if self.on_failure else []),
        ]
        return f"DynamoDB stream of {self.source} ({', '.join(settings)})"


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS event source mapping."""

    function: str
    event: str
    source: str
    queue_arn: str
    batch_size: int
    window: float
    filter: EventFilter | None
    report_failures: bool
    max_concurrency: int | None

    def describe(self, stack: Stack) -> str:
        settings = [
            f"batch {self.batch_size}",
            *([f"window {self.window:g} s"] if self.window else []),
            *(["filtered"] if self.filter else []),
            *(["partial batch responses"] if self.report_failures else []),
            *([f"at most {self.max_concurrency} at once"] if self.max_concurrency else []),
        ]
        return f"SQS queue {self.source} ({', '.join(settings)})"


@dataclass(frozen=True)
class TopicTrigger:
    """An SNS subscription of the function."""

    function: str
    event: str
    source: str
    topic_arn: str
    filter_policy: dict[str, Any] | None
    filter_policy_scope: str | None

    def describe(self, stack: Stack) -> str:
        return f"SNS topic {self.source}" + (" (filter policy)" if self.filter_policy else "")


@dataclass(frozen=True)
class ScheduleTrigger:
    """An EventBridge schedule of the function, at a fixed rate."""

    function: str
    event: str
    # Seconds between invocations; the first comes one period after the stack starts, as after a rule's
    # creation.
    every: float

    def describe(self, stack: Stack) -> str:
        return f"schedule, every {self.every:g} s"


Trigger = StreamTrigger | QueueTrigger | TopicTrigger | ScheduleTrigger


def _stream(stack: Stack, function: str, event: str, properties: dict[str, Any]) -> StreamTrigger:
    stream_arn = str(properties["Stream"])
    destination = properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    return StreamTrigger(
        function=function,
        event=event,
        source=stack.logical_id(stream_arn),
        stream_arn=stream_arn,
        starting_position=str(properties["StartingPosition"]),
        batch_size=int(properties.get("BatchSize", 100)),
        window=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
        filter=EventFilter.from_criteria(properties.get("FilterCriteria"), f"{function}.{event}"),
        report_failures=REPORT_FAILURES in properties.get("FunctionResponseTypes", []),
        bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
        max_retries=int(properties.get("MaximumRetryAttempts", -1)),
        on_failure=str(destination) if destination else None,
    )


def _queue(stack: Stack, function: str, event: str, properties: dict[str, Any]) -> QueueTrigger:
    queue_arn = str(properties["Queue"])
    concurrency = properties.get("ScalingConfig", {}).get("MaximumConcurrency")
    return QueueTrigger(
        function=function,
        event=event,
        source=stack.logical_id(queue_arn),
        queue_arn=queue_arn,
        batch_size=int(properties.get("BatchSize", 10)),
        window=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
        filter=EventFilter.from_criteria(properties.get("FilterCriteria"), f"{function}.{event}"),
        report_failures=REPORT_FAILURES in properties.get("FunctionResponseTypes", []),
        max_concurrency=int(concurrency) if concurrency else None,
    )


def _topic(stack: Stack, function: str, event: str, properties: dict[str, Any]) -> TopicTrigger:
    topic_arn = str(properties["Topic"])
    return TopicTrigger(
        function=function,
        event=event,
        source=stack.logical_id(topic_arn),
        topic_arn=topic_arn,
        filter_policy=properties.get("FilterPolicy"),
        filter_policy_scope=properties.get("FilterPolicyScope"),
    )


def _schedule(stack: Stack, function: str, event: str, properties: dict[str, Any]) -> ScheduleTrigger:
    rate = _RATE.fullmatch(str(properties["Schedule"]))
    if rate is None:
        raise ValueError(f"{function}'s schedule {properties['Schedule']!r} is not a rate(...) expression")
    return ScheduleTrigger(function=function, event=event, every=float(int(rate[1]) * _UNIT_SECONDS[rate[2]]))


_READERS: dict[str, Callable[[Stack, str, str, dict[str, Any]], Trigger]] = {
    "DynamoDB": _stream,
    "SQS": _queue,
    "SNS": _topic,
    "Schedule": _schedule,
}


@dataclass(frozen=True)
class Triggers:
    found: list[Trigger]
    # What of the template's events the local stack leaves out, said for the banner.
    notes: list[str]


def triggers(stack: Stack) -> Triggers:
    """Every stream, queue, topic and schedule event of every function; the resources they name must
    exist."""
    found: list[Trigger] = []
    notes: list[str] = []
    for function in stack.of_type("AWS::Serverless::Function"):
        for event, spec in stack.properties(function).get("Events", {}).items():
            kind = str(spec.get("Type"))
            if kind == "Api":
                continue
            if kind not in _READERS:
                notes.append(f"{function}'s {kind} event {event} is not emulated: nothing invokes it locally")
                continue
            properties = stack.resolve(spec.get("Properties", {}))
            if properties.get("Enabled", True) is False:
                notes.append(f"{function}'s {kind} event {event} is disabled in the template")
                continue
            ignored = sorted(set(properties) - _APPLIED[kind])
            if ignored:
                notes.append(f"{function}'s {kind} event {event} runs without {', '.join(ignored)}")
            found.append(_READERS[kind](stack, function, event, properties))
    return Triggers(found, notes)
