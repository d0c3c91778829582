"""Activity records as the tests read them back: from the activity table, the SES requests that carried
them, and the subscriptions function's pages."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import boto3

from mailhooks.aws import aws
from mailhooks.models import ActivityKind, SendingType
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_from_stream_image
from tests.support.helpers import FakeLambdaContext

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def activities() -> list[ActivityRecord]:
    """Every record of the activity table, read from DynamoDB JSON as the fan-out reads stream images."""
    table = aws().activity_table.name
    items = boto3.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted((activity_from_stream_image(item) for item in items), key=lambda found: found.occurred_at)


def activity(
    kind: ActivityKind, sending: SendingType, action_id: int, email: str, url: str | None = None
) -> dict[str, Any]:
    """What an activity record must hold, besides its id and time."""
    return {
        "account_id": 12,
        "action_id": action_id,
        "type_id": sending,
        "activity_id": kind,
        "email": email,
        "url": url,
    }


def held(record: ActivityRecord) -> dict[str, Any]:
    return {name: value for name, value in asdict(record).items() if name not in ("id", "occurred_at")}


def published(record: ActivityRecord) -> dict[str, Any]:
    """The published body without its timestamp, after checking the timestamp's format."""
    body = record.published()
    assert TIMESTAMP.fullmatch(body.pop("timestamp"))
    return body


@contextmanager
def ses_requests() -> Iterator[list[dict[str, Any]]]:
    """The parameters of every SendEmail call made meanwhile."""
    captured: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        captured.append(params)

    aws().sesv2.meta.events.register("provide-client-params.sesv2.SendEmail", capture)
    yield captured
    aws().sesv2.meta.events.unregister("provide-client-params.sesv2.SendEmail", capture)


def tags(params: dict[str, Any]) -> dict[str, str]:
    return {tag["Name"]: tag["Value"] for tag in params["EmailTags"]}


def subscriber_page(event: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
    """Invoke the subscriptions function's handler; its status, HTML and headers."""
    from functions.subscriptions.app import handler

    response = handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    return response["statusCode"], response["body"], response["multiValueHeaders"]
