"""Counting the AWS calls made meanwhile: for the tests that keep each path's calls from creeping back, and
for the benchmarks that price them."""

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from mailhooks.aws import aws


@contextmanager
def hooked_aws_calls(hook: Callable[..., None]) -> Iterator[None]:
    """`hook(event_name, params)` called as each AWS API call is made meanwhile, by anyone, in the thread
    that makes it: botocore's provide-client-params event, with the call's parameters."""
    session = boto3._get_default_session()
    session.events.register("provide-client-params.*.*", hook)
    aws.cache_clear()  # clients copy the session's hooks when they are created
    try:
        yield
    finally:
        session.events.unregister("provide-client-params.*.*", hook)
        aws.cache_clear()


@contextmanager
def counting_aws_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS API call made meanwhile, by anyone, as (service.Operation, its parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def count(event_name: str, params: dict[str, Any], **_hook: Any) -> None:
        _, service, name = event_name.split(".")
        calls.append((f"{service}.{name}", params))

    with hooked_aws_calls(count):
        yield calls


def by_operation(calls: list[tuple[str, dict[str, Any]]]) -> Counter[str]:
    return Counter(name for name, _ in calls)
