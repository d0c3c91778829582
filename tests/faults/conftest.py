"""Tests on moto: the `stack` fixture, loopback receivers, and `aws_hook`, which injects failures into AWS
calls."""

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from tests.support.receivers import receiver  # noqa: F401
from tests.support.stack import parsed_template, stack  # noqa: F401


@pytest.fixture
def aws_hook(stack: Stack) -> Iterator[Callable[[str, Callable[..., Any]], None]]:  # noqa: F811
    """hook(event, handler) registers a botocore event handler on the default session, which the
    functions' clients are created from (each client copies the session's handlers when created)."""
    session = boto3._get_default_session()
    registered: list[tuple[str, Callable[..., Any]]] = []

    def hook(event: str, handler: Callable[..., Any]) -> None:
        session.events.register(event, handler)
        registered.append((event, handler))
        aws.cache_clear()

    yield hook
    for event, handler in registered:
        session.events.unregister(event, handler)
    aws.cache_clear()
