"""Each source of activities, triggered as production triggers it, writes exactly the right activity records.

Inbound operations run through the inbound handler with API Gateway events, a confirmation link through
the subscriptions handler with an API Gateway event, and SES's open, click and complaint notifications
reach the SES events handler in SNS events, in SES's own JSON format (the samples in events/).
"""

import copy
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from mailhooks.models import ActivityKind, Automation, SendingType
from mailhooks.store.lists import list_records
from tests.support.activities import (
    activities,
    activity,
    held,
    published,
    ses_requests,
    subscriber_page,
    tags,
)
from tests.support.helpers import (
    FakeLambdaContext,
    call,
    hook_event,
    load_event,
    records,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
)

pytestmark = pytest.mark.usefixtures("stack")


def confirm_event(token: str, method: str = "POST") -> dict[str, Any]:
    """The sample GET of a confirmation link, or the POST of its page's button."""
    event = load_event("subscriptions_confirm.json")
    event.update(httpMethod=method, path=f"/subscriptions/confirm/{token}", pathParameters={"token": token})
    event["requestContext"].update(httpMethod=method, path=f"/dev/subscriptions/confirm/{token}")
    return event


def add_subscriber_hook(**options: str) -> str:
    seed_account()
    seed_list()
    mapping = {"email": "/email", **{name: f"/{name}" for name in options}}
    return seed_webhook("add_subscriber", mapping, list_id=2222).token


# subscribe


def test_adding_an_active_subscriber_records_one_subscribe_for_the_list() -> None:
    token = add_subscriber_hook()

    first = call(hook_event(token, json.dumps({"email": "Ana@Example.com"})))
    call(hook_event(token, json.dumps({"email": "ana@example.com"})))

    assert first[0] == 201
    [record] = activities()
    assert held(record) == activity(ActivityKind.SUBSCRIBE, SendingType.CAMPAIGN, 2222, "ana@example.com")
    assert published(record) == {
        "account_id": 12,
        "action_id": 2222,
        "type_id": 1,
        "activity_id": 4,
        "email": "ana@example.com",
    }
    assert record.occurred_at == list_records().get_subscriber(2222, "ana@example.com").created_at  # type: ignore[union-attr]


def test_double_optin_records_the_subscribe_when_the_link_is_followed_and_only_once() -> None:
    token = add_subscriber_hook(double_optin="1", welcome_email="1")
    call(hook_event(token, json.dumps({"email": "ana@example.com", "double_optin": 1, "welcome_email": 1})))
    pending = list_records().get_subscriber(2222, "ana@example.com")
    assert pending is not None
    assert pending.status == "pending"
    [confirmation] = activities()

    status, page, headers = subscriber_page(confirm_event(pending.confirm_token))  # type: ignore[arg-type]
    again = subscriber_page(confirm_event(pending.confirm_token))  # type: ignore[arg-type]

    assert status == 200
    assert headers["Content-Type"] == ["text/html; charset=utf-8"]
    assert "ana@example.com is now subscribed to List 2222." in page
    confirmed = list_records().get_subscriber(2222, "ana@example.com")
    assert confirmed is not None
    assert (confirmed.status, confirmed.confirm_token, confirmed.id) == ("active", None, pending.id)
    sent_first, record, welcome = activities()
    assert sent_first == confirmation
    assert held(record) == activity(ActivityKind.SUBSCRIBE, SendingType.CAMPAIGN, 2222, "ana@example.com")
    assert published(record)["activity_id"] == 4
    assert [published(send) for send in (confirmation, welcome)] == [
        {"account_id": 12, "action_id": 1, "type_id": 3, "activity_id": 1, "email": "ana@example.com"},
        {"account_id": 12, "action_id": 2, "type_id": 3, "activity_id": 1, "email": "ana@example.com"},
    ]
    assert again[0] == 404
    assert "unknown or was used already" in again[1]
    assert [email.subject for email in sent_emails()] == [
        "Confirm your subscription to List 2222",
        "Welcome to List 2222",
    ]


def test_following_a_confirmation_link_only_shows_its_button_and_changes_nothing() -> None:
    token = add_subscriber_hook(double_optin="1", welcome_email="1")
    call(hook_event(token, json.dumps({"email": "ana@example.com", "double_optin": 1, "welcome_email": 1})))
    pending = list_records().get_subscriber(2222, "ana@example.com")
    assert pending is not None
    before = records()

    # As a mail scanner that prefetches the link does, twice.
    shown = subscriber_page(confirm_event(pending.confirm_token, "GET"))  # type: ignore[arg-type]
    again = subscriber_page(confirm_event(pending.confirm_token, "GET"))  # type: ignore[arg-type]

    assert shown[:2] == again[:2]
    status, page, headers = shown
    assert status == 200
    assert "Subscribe ana@example.com to List 2222?" in page
    assert '<form method="post"><button type="submit">Confirm</button></form>' in page
    assert (headers["Cache-Control"], headers["Referrer-Policy"]) == (["no-store"], ["no-referrer"])
    assert records() == before
    assert [record.action_id for record in activities()] == [Automation.DOUBLE_OPTIN_CONFIRMATION]
    assert [email.subject for email in sent_emails()] == ["Confirm your subscription to List 2222"]
    assert subscriber_page(confirm_event(pending.confirm_token))[0] == 200  # type: ignore[arg-type]
    assert list_records().get_subscriber(2222, "ana@example.com").status == "active"  # type: ignore[union-attr]


def test_a_welcome_emails_send_and_its_opens_and_clicks_are_exported_as_a_trigger_send() -> None:
    token = add_subscriber_hook(welcome_email="1")

    with ses_requests() as requests:
        status, body, _ = call(
            hook_event(token, json.dumps({"email": "Ana@example.com", "welcome_email": 1}))
        )
    [request] = requests
    for sample in ("sns_ses_open.json", "sns_ses_click.json"):
        event = load_event(sample)
        notification = json.loads(event["Records"][0]["Sns"]["Message"])
        notification["mail"]["tags"] = {name: [value] for name, value in tags(request).items()}
        event["Records"][0]["Sns"]["Message"] = json.dumps(notification)
        invoke_ses_events(event)

    assert (status, body) == (201, {"id": body["id"], "email": "ana@example.com"})  # type: ignore[index]
    by_kind = {record.activity_id: record for record in activities()}
    assert sorted(by_kind) == [
        ActivityKind.SEND,
        ActivityKind.OPEN,
        ActivityKind.CLICK,
        ActivityKind.SUBSCRIBE,
    ]
    assert published(by_kind.pop(ActivityKind.SUBSCRIBE))["type_id"] == 1
    assert {(record.type_id, record.action_id, record.email) for record in by_kind.values()} == {
        (3, 2, "ana@example.com")
    }
    assert published(by_kind[ActivityKind.SEND]) == {
        "account_id": 12,
        "action_id": 2,
        "type_id": 3,
        "activity_id": 1,
        "email": "ana@example.com",
    }


def test_an_unknown_confirmation_link_answers_404_and_writes_nothing() -> None:
    seed_account()
    seed_list()
    before = records()

    status, page, _ = subscriber_page(confirm_event("x" * 43))
    shown = subscriber_page(confirm_event("x" * 43, "GET"))

    assert status == shown[0] == 404
    assert "Link not valid" in page
    assert "<form" not in shown[1]
    assert records() == before
    assert activities() == []


# unsubscribe


def test_unsubscribing_records_once_and_not_for_an_already_unsubscribed_subscriber() -> None:
    adder = add_subscriber_hook()
    unsubscriber = seed_webhook("unsubscribe", {"email": "/email", "list_id": "/list"})
    call(hook_event(adder, json.dumps({"email": "ana@example.com"})))
    event = hook_event(unsubscriber.token, json.dumps({"email": "Ana@example.com", "list": 2222}))

    first = call(event)
    # Another call, not a retry within the idempotency window: its own Idempotency-Key.
    again = call({**event, "headers": {**event["headers"], "Idempotency-Key": "second"}})

    assert first[:2] == again[:2] == (201, {})
    subscribe, unsubscribe = activities()
    assert subscribe.activity_id == ActivityKind.SUBSCRIBE
    assert held(unsubscribe) == activity(
        ActivityKind.UNSUBSCRIBE, SendingType.CAMPAIGN, 2222, "ana@example.com"
    )
    assert published(unsubscribe)["activity_id"] == 5
    assert list_records().get_subscriber(2222, "ana@example.com").status == "unsubscribed"  # type: ignore[union-attr]


def test_unsubscribing_an_unknown_subscriber_answers_404_and_records_nothing() -> None:
    seed_account()
    seed_list()
    unsubscriber = seed_webhook("unsubscribe", {"email": "/email", "list_id": "/list"})

    status, body, _ = call(
        hook_event(unsubscriber.token, json.dumps({"email": "x@example.com", "list": 2222}))
    )

    assert (status, body) == (404, {"error": "subscriber x@example.com is not in list 2222"})
    assert activities() == []


# transactional sends


def test_send_email_records_a_transactional_send_under_the_messages_own_action() -> None:
    seed_account()
    webhook = seed_webhook(
        "send_email",
        {name: f"/{name}" for name in ("body", "to_email", "from_email", "bcc_email", "subject")},
    )
    message = {
        "body": "<p>Order 1001 confirmed</p>",
        "to_email": "ana@example.com",
        "from_email": "shop@shop.example",
        "bcc_email": "archive@example.com",
        "subject": "Order 1001",
    }

    with ses_requests() as requests:
        status, _, _ = call(hook_event(webhook.token, json.dumps(message)))

    assert status == 200
    [request] = requests
    action_id = int(tags(request)["action"])
    assert tags(request) == {"account": "12", "action": str(action_id), "type": "4"}
    [record] = activities()
    assert held(record) == activity(
        ActivityKind.SEND, SendingType.TRANSACTIONAL_EMAIL, action_id, "ana@example.com"
    )
    assert published(record) == {
        "account_id": 12,
        "action_id": action_id,
        "type_id": 4,
        "activity_id": 1,
        "email": "ana@example.com",
    }


def test_send_sms_records_a_send_to_the_phone_number_under_the_sendings_id() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})

    status, body, _ = call(
        hook_event(webhook.token, json.dumps({"text": "Shipped", "to": "+34 600 00 00 00", "from": "ShopEx"}))
    )

    assert status == 201
    [record] = activities()
    assert held(record) == activity(ActivityKind.SEND, SendingType.SMS, body["id"], "+34600000000")  # type: ignore[index]
    assert published(record)["type_id"] == 5


def test_a_send_the_provider_refuses_records_nothing() -> None:
    seed_account()
    webhook = seed_webhook(
        "send_email", {name: f"/{name}" for name in ("body", "to_email", "from_email", "subject")}
    )
    # The domain's identity deleted in SES behind the platform's back: SES refuses the sender.
    boto3.client("sesv2").delete_email_identity(EmailIdentity="shop.example")
    message = {
        "body": "<p>x</p>",
        "to_email": "a@example.com",
        "from_email": "x@shop.example",
        "subject": "x",
    }

    status, _, _ = call(hook_event(webhook.token, json.dumps(message)))

    assert status == 502
    assert activities() == []


# SES events


def invoke_ses_events(event: dict[str, Any]) -> None:
    from functions.ses_events.app import handler

    handler(event, FakeLambdaContext())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sample", "kind", "url", "at"),
    [
        ("sns_ses_open.json", ActivityKind.OPEN, None, "2026-11-23 10:02:41.377000"),
        (
            "sns_ses_click.json",
            ActivityKind.CLICK,
            "https://shop.example/offers/black-friday?utm_source=newsletter",
            "2026-11-23 10:03:05.912000",
        ),
        ("sns_ses_complaint.json", ActivityKind.COMPLAINT, None, "2026-11-23 11:40:17.000000"),
    ],
)
def test_ses_notifications_become_activities_attributed_through_the_message_tags(
    sample: str, kind: ActivityKind, url: str | None, at: str
) -> None:
    event = load_event(sample)

    invoke_ses_events(event)
    # SNS delivers at least once: a redelivered notification rewrites its own record.
    invoke_ses_events(event)

    [record] = activities()
    assert held(record) == activity(kind, SendingType.CAMPAIGN, 345, "ana@example.com", url)
    expected = {
        "account_id": 12,
        "action_id": 345,
        "type_id": 1,
        "activity_id": int(kind),
        "email": "ana@example.com",
        "timestamp": at,
    }
    assert record.published() == (expected if url is None else {**expected, "url": url})
    assert record.occurred_at.tzinfo is not None


def test_a_complaint_records_each_complained_recipient_of_a_transactional_email() -> None:
    event = load_event("sns_ses_complaint.json")
    notification = json.loads(event["Records"][0]["Sns"]["Message"])
    notification["mail"]["tags"].update(action=["9001"], type=["4"])
    notification["mail"]["destination"] = ["ana@example.com", "archive@example.com"]
    notification["complaint"]["complainedRecipients"] = [
        {"emailAddress": "ana@example.com"},
        {"emailAddress": "archive@example.com"},
    ]
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)

    invoke_ses_events(event)

    assert sorted(held(record)["email"] for record in activities()) == [
        "ana@example.com",
        "archive@example.com",
    ]
    assert {(record.action_id, record.type_id, record.activity_id) for record in activities()} == {
        (9001, SendingType.TRANSACTIONAL_EMAIL, ActivityKind.COMPLAINT)
    }
    assert all(
        record.occurred_at == datetime(2026, 11, 23, 11, 40, 17, tzinfo=UTC) for record in activities()
    )


@pytest.mark.parametrize(
    "tags",
    [
        # The platform's mail to an export endpoint's owner is no sending of the account's.
        {"ses:configuration-set": ["mailhooks-dev"], "account": ["12"], "endpoint": ["e-1"]},
        {"account": ["12"], "action": ["345"], "type": ["99"]},
    ],
)
def test_notifications_without_the_sending_tags_are_ignored_with_a_log_line(
    tags: dict[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    event = copy.deepcopy(load_event("sns_ses_open.json"))
    notification = json.loads(event["Records"][0]["Sns"]["Message"])
    notification["mail"]["tags"] = tags
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)

    invoke_ses_events(event)

    assert activities() == []
    assert "SES event of a mail without sending tags ignored" in caplog.messages


def test_a_message_that_is_not_an_ses_notification_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = copy.deepcopy(load_event("sns_ses_open.json"))
    broken["Records"][0]["Sns"]["Message"] = '{"eventType": "Open"}'
    good = load_event("sns_ses_click.json")

    invoke_ses_events({"Records": broken["Records"] + good["Records"]})

    [record] = activities()
    assert record.activity_id == ActivityKind.CLICK
    assert "not an SES event notification" in caplog.messages
