"""What the benchmarks share: the template's resources on moto in this process, and counting AWS calls."""

import os
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from devstack.provision import provision
from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.settings import settings

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_DISABLED": "1",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}


@contextmanager
def moto_stack(**environment: str) -> Iterator[Stack]:
    """Every resource of template.yaml on moto, and the functions' environment (plus overrides) set."""
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(FAKE_AWS)
    try:
        with mock_aws():
            stack = provision(Stack.from_file())
            quiet = {"POWERTOOLS_LOG_LEVEL": "ERROR"}  # the functions' logs would drown the figures
            os.environ.update({**stack.function_environment("InboundFunction"), **quiet, **environment})
            settings.cache_clear()
            aws.cache_clear()
            yield stack
    finally:
        os.environ.clear()
        os.environ.update(saved)
        settings.cache_clear()
        aws.cache_clear()


@contextmanager
def counting_aws_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS API call made meanwhile, as (service.Operation, its parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def count(event_name: str, params: dict[str, Any], **_: Any) -> None:
        _, service, operation = event_name.split(".")
        calls.append((f"{service}.{operation}", params))

    session = boto3._get_default_session()
    session.events.register("provide-client-params.*.*", count)
    aws.cache_clear()  # clients copy the session's hooks when they are created
    try:
        yield calls
    finally:
        session.events.unregister("provide-client-params.*.*", count)
        aws.cache_clear()


def by_operation(calls: list[tuple[str, dict[str, Any]]]) -> Counter[str]:
    return Counter(name for name, _ in calls)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
