"""The outbound pipeline for the fault tests: the fan-out and deliver functions' environment as the template
sets it, export endpoints at loopback receivers, activities, and what the pipeline leaves behind."""

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import campaign_activity, seed_account
from tests.support.receivers import Chaos, Receivers, chaos_receivers
from tests.support.streams import receive_all

ACCOUNT_ID = 12


def configure(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, retry_schedule: list[int], timeout: float
) -> None:
    """The fan-out and deliver functions' environment, with loopback receivers allowed, the retry schedule
    shortened and the deadline of an answer set; and account 12."""
    for function in ("FanOutFunction", "DeliverFunction"):
        for name, value in stack.function_environment(function).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", json.dumps(retry_schedule))
    monkeypatch.setenv("DELIVERY_TIMEOUT", str(timeout))
    monkeypatch.setenv("DELIVERY_CONNECT_TIMEOUT", "3")
    settings.cache_clear()
    seed_account(ACCOUNT_ID)


def add_endpoint(endpoint_id: str, url: str) -> ExportEndpoint:
    """An endpoint of account 12 that ticks every kind of activity."""
    endpoint = ExportEndpoint(
        id=endpoint_id, account_id=ACCOUNT_ID, url=url, activities=list(ActivityKind), secret=new_secret()
    )
    export_endpoint_records().put_export_endpoint(endpoint)
    return endpoint


def activities(prefix: str, count: int) -> list[ActivityRecord]:
    """Activities of account 12, of every kind in turn, with ids that name them: their webhook-ids, and so
    what the seeded receivers do with them, are the same at every run."""
    kinds = list(ActivityKind)
    return [
        campaign_activity(kinds[n % len(kinds)], n, ACCOUNT_ID, id=f"{prefix}{n:05d}") for n in range(count)
    ]


def webhook_id(activity: ActivityRecord, endpoint_id: str) -> str:
    return f"msg_{activity.id}_{endpoint_id}"


def dead_letters(stack: Stack) -> list[Any]:
    """Every message of the delivery dead-letter queue, with its attributes (each received once)."""
    url = stack.physical["DeliveryDeadLetterQueue"]["QueueUrl"]
    return receive_all(url, MessageAttributeNames=["All"], VisibilityTimeout=600)


def logged_statuses() -> Counter[str]:
    """How many deliveries of the delivery log are in each status."""
    table = boto3.resource("dynamodb").Table(settings().delivery_table)
    scan: dict[str, Any] = {
        "ProjectionExpression": "sk, #status",
        "ExpressionAttributeNames": {"#status": "status"},
    }
    statuses: Counter[str] = Counter()
    while True:
        page = table.scan(**scan)
        statuses.update(str(item["status"]) for item in page["Items"] if item["sk"] == "DELIVERY")
        if "LastEvaluatedKey" not in page:
            return statuses
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@contextmanager
def chaos_endpoints(
    stack: Stack,
    monkeypatch: pytest.MonkeyPatch,
    chaos: list[Chaos],
    retry_schedule: list[int],
    timeout: float,
) -> Iterator[Receivers]:
    """The pipeline configured (see configure), with one endpoint of account 12 per chaos receiver, named
    after it; the receivers run in a process of their own until leaving."""
    configure(stack, monkeypatch, retry_schedule, timeout)
    with chaos_receivers(*chaos) as started:
        for each in chaos:
            add_endpoint(each.name, started.url(each.name))
        yield started
