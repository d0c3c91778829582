"""The local stack's AWS (devstack.local_aws): its own process's clients are answered in the process,
unsigned (devstack.in_process); a client of another session, as another process has, over HTTP, signed;
both by the same moto."""

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from devstack.local_aws import LocalAws


@pytest.fixture
def local_aws() -> Iterator[LocalAws]:
    saved = dict(os.environ)
    started = LocalAws()
    started.start()
    try:
        yield started
    finally:
        requests.post(f"{started.endpoint}/moto-api/reset", timeout=10)
        started.stop()
        os.environ.clear()
        os.environ.update(saved)


def _watched(client: Any) -> list[tuple[bool, str]]:
    """For each call of the client: whether it was signed, and what its answer was read from."""
    seen: list[tuple[bool, str]] = []
    signed: list[bool] = []
    client.meta.events.register(
        "request-created", lambda request, **_: signed.append("Authorization" in request.headers)
    )
    client.meta.events.register(
        "after-call", lambda http_response, **_: seen.append((signed.pop(), type(http_response.raw).__name__))
    )
    return seen


def test_the_process_clients_are_answered_in_it_and_another_session_over_http(local_aws: LocalAws) -> None:
    own = boto3.client("sqs")
    other = boto3.Session().client("sqs")
    own_calls, other_calls = _watched(own), _watched(other)

    queue = own.create_queue(QueueName="q")["QueueUrl"]
    other.send_message(QueueUrl=queue, MessageBody="from another process")
    [message] = own.receive_message(QueueUrl=queue)["Messages"]

    assert message["Body"] == "from another process"
    assert own_calls == [(False, "MockRawResponse")] * 2
    assert other_calls == [(True, "HTTPResponse")]


def test_an_error_of_aws_is_answered_as_over_http(local_aws: LocalAws) -> None:
    own = boto3.client("dynamodb")
    other = boto3.Session().client("dynamodb")
    errors = []
    for client in (own, other):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
            client.get_item(TableName="missing", Key={"pk": {"S": "a"}})
        errors.append(raised.value.response["Error"])
    assert errors[0] == errors[1]
