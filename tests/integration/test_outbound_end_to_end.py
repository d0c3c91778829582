"""Each of the six activity sources, triggered as production triggers it, reaches an export endpoint.

The source writes its activity; the fan-out function reads the activity table's real stream; the deliver
function takes the messages from the delivery queue and POSTs them to a receiver on loopback, which gets
exactly the published body, signed so that the standardwebhooks package verifies it.
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook

from devstack.template import Stack
from mailhooks.models import ActivityKind, CustomField, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.lists import list_records
from tests.support.helpers import (
    CAMPAIGN_CALL,
    CAMPAIGN_MAPPING,
    FakeLambdaContext,
    call,
    hook_event,
    load_event,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
)
from tests.support.receivers import Receiver, receivers
from tests.support.streams import StreamTail
from tests.support.triggers import run_queue

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


class Outbound:
    """Account 12, an endpoint ticking every kind at a loopback receiver, and the functions between."""

    def __init__(self, stack: Stack, receiver: Receiver) -> None:
        self.stack = stack
        self.receiver = receiver
        self.tail = StreamTail(stack, "ActivityTable")
        self.endpoint = ExportEndpoint(
            id="ep1", account_id=12, url=receiver.url(), activities=list(ActivityKind), secret=new_secret()
        )
        export_endpoint_records().put_export_endpoint(self.endpoint)

    def deliver(self) -> list[dict[str, Any]]:
        """Run the fan-out on what the stream holds and the deliver function on what it queued; the bodies
        the receiver got, each after checking its signature."""
        from functions.delivery.app import handler as deliver
        from functions.fanout.app import handler as fan_out

        assert fan_out(self.tail.next_event(), FakeLambdaContext()) == {"batchItemFailures": []}
        run_queue(self.stack, "DeliveryQueue", deliver)
        bodies = []
        for received in self.receiver.received:
            Webhook(self.endpoint.secret).verify(received.body, received.headers)
            bodies.append(json.loads(received.body))
        return bodies


@pytest.fixture
def outbound(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    settings.cache_clear()
    seed_account(12)
    seed_list(12, 2222, fields=[CustomField(name="name")])
    with receivers() as start:
        yield Outbound(stack, start())


def published(
    activity_id: int, type_id: int, action_id: int, email: str, **url: str
) -> Callable[[dict[str, Any]], None]:
    def check(body: dict[str, Any]) -> None:
        assert TIMESTAMP.fullmatch(body.pop("timestamp"))
        assert body == {
            "account_id": 12,
            "action_id": action_id,
            "type_id": type_id,
            "activity_id": activity_id,
            "email": email,
            **url,
        }

    return check


def subscribe_through_a_webhook(outbound: Outbound) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "name": "Ana"})))[0] == 201


def subscribe_by_following_the_confirmation_link(outbound: Outbound) -> None:
    from functions.subscriptions.app import handler

    webhook = seed_webhook("add_subscriber", {"email": "/email", "double_optin": "/optin"}, list_id=2222)
    assert call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "optin": 1})))[0] == 201
    # No subscribe until confirmed: only the confirmation email's send.
    [confirmation] = outbound.deliver()
    published(1, 3, 1, "ana@example.com")(confirmation)
    outbound.receiver.received.clear()
    token = list_records().get_subscriber(2222, "ana@example.com").confirm_token  # type: ignore[union-attr]
    event = load_event("subscriptions_confirm.json")
    event.update(httpMethod="POST", path=f"/subscriptions/confirm/{token}", pathParameters={"token": token})
    event["requestContext"].update(httpMethod="POST")
    assert handler(event, FakeLambdaContext())["statusCode"] == 200


def unsubscribe_through_a_webhook(outbound: Outbound) -> None:
    subscribe_through_a_webhook(outbound)
    outbound.deliver()
    outbound.receiver.received.clear()
    webhook = seed_webhook("unsubscribe", {"email": "/email", "list_id": "/list"})
    assert call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "list": 2222})))[0] == 201


def send_a_confirmation_email(outbound: Outbound) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "double_optin": "/optin"}, list_id=2222)
    assert call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "optin": 1})))[0] == 201


def send_a_transactional_email(outbound: Outbound) -> None:
    webhook = seed_webhook(
        "send_email", {"body": "/html", "to_email": "/to", "from_email": "/from", "subject": "/subject"}
    )
    call(
        hook_event(
            webhook.token,
            json.dumps(
                {
                    "html": "<p>Order 1001</p>",
                    "to": "ana@example.com",
                    "from": "shop@shop.example",
                    "subject": "Order 1001",
                }
            ),
        )
    )


def send_an_sms(outbound: Outbound) -> None:
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})
    call(hook_event(webhook.token, json.dumps({"text": "Shipped", "to": "+34600000000", "from": "ShopEx"})))


def send_a_campaign(outbound: Outbound) -> None:
    from functions.campaign_sender.app import handler

    subscribe_through_a_webhook(outbound)
    outbound.deliver()
    outbound.receiver.received.clear()
    seed_template(12, 31)
    webhook = seed_webhook("send_campaign", CAMPAIGN_MAPPING)
    call(hook_event(webhook.token, json.dumps(CAMPAIGN_CALL)))
    run_queue(outbound.stack, "CampaignQueue", handler, batch_size=1)


def ses_notification(sample: str) -> Callable[[Outbound], None]:
    def notify(outbound: Outbound) -> None:
        from functions.ses_events.app import handler

        handler(load_event(sample), FakeLambdaContext())

    return notify


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (subscribe_through_a_webhook, lambda: published(4, 1, 2222, "ana@example.com")),
        (subscribe_by_following_the_confirmation_link, lambda: published(4, 1, 2222, "ana@example.com")),
        (unsubscribe_through_a_webhook, lambda: published(5, 1, 2222, "ana@example.com")),
        (send_a_confirmation_email, lambda: published(1, 3, 1, "ana@example.com")),
        # Each the first action of its stack: id 1.
        (send_a_transactional_email, lambda: published(1, 4, 1, "ana@example.com")),
        (send_an_sms, lambda: published(1, 5, 1, "+34600000000")),
        (send_a_campaign, lambda: published(1, 1, 1, "ana@example.com")),
        (ses_notification("sns_ses_open.json"), lambda: published(2, 1, 345, "ana@example.com")),
        (
            ses_notification("sns_ses_click.json"),
            lambda: published(
                3,
                1,
                345,
                "ana@example.com",
                url="https://shop.example/offers/black-friday?utm_source=newsletter",
            ),
        ),
        (ses_notification("sns_ses_complaint.json"), lambda: published(6, 1, 345, "ana@example.com")),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_each_source_reaches_the_endpoint_in_the_published_format(
    outbound: Outbound,
    trigger: Callable[[Outbound], None],
    expected: Callable[[], Callable[[dict[str, Any]], None]],
) -> None:
    trigger(outbound)

    [body] = outbound.deliver()

    expected()(body)


def test_a_welcome_emails_send_reaches_the_endpoint_as_a_trigger_send(outbound: Outbound) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "welcome_email": "/welcome"}, list_id=2222)
    assert call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "welcome": 1})))[0] == 201

    subscribe, welcome = sorted(outbound.deliver(), key=lambda body: -body["activity_id"])

    published(4, 1, 2222, "ana@example.com")(subscribe)
    published(1, 3, 2, "ana@example.com")(welcome)


def test_endpoints_get_only_the_kinds_they_tick(outbound: Outbound) -> None:
    with receivers() as start:
        opens_only = start()
        export_endpoint_records().put_export_endpoint(
            ExportEndpoint(
                id="opens",
                account_id=12,
                url=opens_only.url(),
                activities=[ActivityKind.OPEN],
                secret=new_secret(),
            )
        )
        for sample in ("sns_ses_open.json", "sns_ses_click.json", "sns_ses_complaint.json"):
            ses_notification(sample)(outbound)

        everything = outbound.deliver()

        assert sorted(body["activity_id"] for body in everything) == [2, 3, 6]
        assert [json.loads(received.body)["activity_id"] for received in opens_only.received] == [2]
