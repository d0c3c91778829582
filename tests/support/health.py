"""Export endpoints' health, as the tests drive it: the deliver function's environment, endpoints at
loopback receivers, activities queued by the real fan-out, the delivery queue run as its trigger runs it,
and the scheduled review; time, as deliveries and health see it, is the test's clock
(mailhooks.clock.now)."""

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

import mailhooks.clock
from devstack.template import Stack
from functions.endpoint_health.app import handler as review
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.fanout import fan_out
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.helpers import FakeLambdaContext, campaign_activity, seed_account
from tests.support.triggers import QueueTrigger

OWNER = "ops@shop.example"


class Clock:
    """What mailhooks.clock.now answers: now, until the test moves it."""

    def __init__(self) -> None:
        self.at = mailhooks.clock.now()

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    frozen = Clock()
    monkeypatch.setattr(mailhooks.clock, "now", frozen)
    return frozen


@pytest.fixture
def deliver_function(stack: Stack, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Stack:
    """The deliver function's environment as the template sets it (the review's and the admin function's
    are the same but for their names); local receivers allowed, and short timeouts, so that a receiver that
    never answers holds a POST for half a second."""
    for name, value in stack.function_environment("DeliverFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    monkeypatch.setenv("DELIVERY_TIMEOUT", "0.5")
    monkeypatch.setenv("DELIVERY_CONNECT_TIMEOUT", "0.5")
    settings.cache_clear()
    seed_account(12)
    return stack


def endpoint(
    url: str, endpoint_id: str, kinds: list[ActivityKind] | None = None, **options: Any
) -> ExportEndpoint:
    created = ExportEndpoint(
        id=endpoint_id,
        account_id=12,
        url=url,
        activities=kinds or list(ActivityKind),
        secret=new_secret(),
        owner_email=OWNER,
        # As if its link had been followed (tests/integration/test_owner_emails.py follows it).
        owner_email_confirmed=True,
        **options,
    )
    export_endpoint_records().put_export_endpoint(created)
    return created


def publish(*kinds: ActivityKind) -> list[ActivityRecord]:
    """One activity of each kind, queued by the real fan-out for each endpoint that ticks it."""
    activities = [campaign_activity(kind, n) for n, kind in enumerate(kinds)]
    assert fan_out([(str(n), activity) for n, activity in enumerate(activities)]) is None
    return activities


class Queue(QueueTrigger):
    """The delivery queue, driven as Lambda's event source drives it: batches received, handed to the deliver
    function, and deleted but for the batch's item failures. It keeps each message's last receipt, to make
    the messages that wait visible again when the test moves time on (wake)."""

    def __init__(self, stack: Stack) -> None:
        from functions.delivery.app import handler as deliver

        super().__init__(stack, deliver, "DeliveryQueue", sqs=boto3.client("sqs"))


@pytest.fixture
def queue(stack: Stack) -> Queue:
    return Queue(stack)


def run_review() -> None:
    """The scheduled review, as its schedule runs it."""
    review({"source": "aws.events", "detail-type": "Scheduled Event"}, FakeLambdaContext())
