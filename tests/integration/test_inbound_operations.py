"""Each operation end to end through the inbound handler, with API Gateway events, over moto."""

import json
import re
from typing import Any

import pytest

from mailhooks.aws import aws
from mailhooks.models import CustomField
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from mailhooks.store.lists import list_records
from tests.support.helpers import (
    CAMPAIGN_CALL,
    CAMPAIGN_MAPPING,
    call,
    hook_event,
    load_event,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
    sent_emails,
    sent_sms,
)

pytestmark = pytest.mark.usefixtures("stack")

FORM_MAPPING = {"email": "/fields[email][value]", "name": "/fields[name][value]"}


def with_token(event: dict[str, Any], token: str) -> dict[str, Any]:
    event["path"] = f"/hooks/{token}"
    event["pathParameters"] = {"token": token}
    return event


def test_seed_form_payload_adds_a_subscriber_with_its_custom_field() -> None:
    seed_account()
    seed_list(fields=[CustomField(name="name", type="text", required=True)])
    webhook = seed_webhook("add_subscriber", FORM_MAPPING, list_id=2222)

    status, body, _ = call(with_token(load_event("inbound_add_subscriber_form.json"), webhook.token))

    subscriber = list_records().get_subscriber(2222, "ana@example.com")
    assert subscriber is not None
    assert (status, body) == (201, {"id": subscriber.id, "email": "ana@example.com"})
    assert subscriber.status == "active"
    assert subscriber.fields == {"name": "Test"}
    assert sent_emails() == []
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count) == (1, 0)
    assert stats.last_call_at is not None


def test_adding_an_existing_subscriber_again_returns_its_id_and_leaves_it_untouched() -> None:
    seed_account()
    seed_list(fields=[CustomField(name="name")])
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)

    first = call(hook_event(webhook.token, json.dumps({"email": "Ana@Example.com", "name": "Ana"})))
    again = call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "name": "Changed"})))

    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    assert list_records().get_subscriber(2222, "ana@example.com").fields == {"name": "Ana"}  # type: ignore[union-attr]


def test_update_subscriber_updates_the_fields_of_an_existing_one() -> None:
    seed_account()
    seed_list(fields=[CustomField(name="name"), CustomField(name="age", type="number")])
    webhook = seed_webhook(
        "add_subscriber",
        {"email": "/email", "name": "/name", "age": "/age", "update_subscriber": "/update"},
        list_id=2222,
    )

    first = call(
        hook_event(
            webhook.token, json.dumps({"email": "ana@example.com", "name": "Ana", "age": 30, "update": 0})
        )
    )
    second = call(
        hook_event(
            webhook.token,
            json.dumps({"email": "ana@example.com", "name": "Ana B.", "age": "31", "update": "1"}),
        )
    )

    assert first[1] == second[1]
    assert list_records().get_subscriber(2222, "ana@example.com").fields == {"name": "Ana B.", "age": 31}  # type: ignore[union-attr]


def test_double_optin_stores_a_pending_subscriber_and_emails_a_confirmation_link() -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email", "double_optin": "/optin"}, list_id=2222)

    status, body, _ = call(
        hook_event(webhook.token, json.dumps({"email": "ana@example.com", "optin": "true"}))
    )

    subscriber = list_records().get_subscriber(2222, "ana@example.com")
    assert subscriber is not None
    assert (status, body) == (201, {"id": subscriber.id, "email": "ana@example.com"})
    assert subscriber.status == "pending"
    [email] = sent_emails()
    assert email.destinations["ToAddresses"] == ["ana@example.com"]
    assert email.source == "no-reply@example.com"
    assert (
        f"https://abc123defg.execute-api.us-east-1.amazonaws.com/dev/subscriptions/confirm/"
        f"{subscriber.confirm_token}" in email.body
    )


def test_welcome_email_is_sent_through_ses() -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email", "welcome_email": "/welcome"}, list_id=2222)

    status, _, _ = call(hook_event(webhook.token, json.dumps({"email": "ana@example.com", "welcome": 1})))

    assert status == 201
    [email] = sent_emails()
    assert email.subject == "Welcome to List 2222"
    assert email.destinations["ToAddresses"] == ["ana@example.com"]


def test_delete_subscriber_removes_it_from_the_list() -> None:
    seed_account()
    seed_list()
    adder = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    deleter = seed_webhook("delete_subscriber", {"email": "/email", "list_id": "/list"})
    call(hook_event(adder.token, json.dumps({"email": "ana@example.com"})))

    status, body, _ = call(
        hook_event(deleter.token, json.dumps({"email": "ana@example.com", "list": "2222"}))
    )

    assert (status, body) == (201, {"email": "ana@example.com"})
    assert list_records().get_subscriber(2222, "ana@example.com") is None


def test_unsubscribe_keeps_the_subscriber_marked_unsubscribed() -> None:
    seed_account()
    seed_list()
    adder = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    unsubscriber = seed_webhook("unsubscribe", {"email": "/email", "list_id": "/list"})
    call(hook_event(adder.token, json.dumps({"email": "ana@example.com"})))

    status, body, _ = call(
        hook_event(unsubscriber.token, json.dumps({"email": "ana@example.com", "list": 2222}))
    )

    assert (status, body) == (201, {})
    assert list_records().get_subscriber(2222, "ana@example.com").status == "unsubscribed"  # type: ignore[union-attr]


def test_send_sms_publishes_through_sns_with_the_sender_id() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})

    status, body, _ = call(
        hook_event(
            webhook.token,
            json.dumps({"text": "Your order has shipped", "to": "+34 600 00 00 00", "from": "ShopEx"}),
        )
    )

    assert status == 201
    assert isinstance(body["id"], int)  # type: ignore[index]
    [(phone, text)] = [(phone, message) for phone, message, *_ in sent_sms().values()]
    assert (phone, text) == ("+34600000000", "Your order has shipped")


@pytest.mark.parametrize("recipient", [34600000000, "34600000000", "0034600000000"])
def test_send_sms_takes_a_number_whose_plus_was_dropped_or_written_00(recipient: Any) -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})

    status, _, _ = call(
        hook_event(webhook.token, json.dumps({"text": "Hi", "to": recipient, "from": "ShopEx"}))
    )

    assert status == 201
    assert [phone for phone, *_ in sent_sms().values()] == ["+34600000000"]


def test_send_sms_refuses_a_national_number_without_its_prefix() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})

    status, body, _ = call(
        hook_event(webhook.token, json.dumps({"text": "Hi", "to": 600000000, "from": "ShopEx"}))
    )

    assert (status, body) == (
        400,
        {
            "error": "parameter 'recipient': must be a valid phone number with its international prefix, "
            "such as +34600000000 or 0034600000000 (received 600000000)"
        },
    )
    assert sent_sms() == {}


def test_send_email_sends_a_transactional_email_through_ses() -> None:
    seed_account()
    webhook = seed_webhook(
        "send_email",
        {
            "body": "/html",
            "to_email": "/to",
            "from_email": "/from",
            "bcc_email": "/bcc",
            "subject": "/subject",
            "category": "/category",
        },
    )

    status, body, _ = call(
        hook_event(
            webhook.token,
            json.dumps(
                {
                    "html": "<p>Order 1001 confirmed</p>",
                    "to": "ana@example.com",
                    "from": "shop@shop.example",
                    "bcc": "archive@example.com",
                    "subject": "Order 1001",
                    "category": "7",
                }
            ),
        )
    )

    [email] = sent_emails()
    assert (status, body) == (200, {"key": email.id})
    assert email.destinations == {"ToAddresses": ["ana@example.com"], "BccAddresses": ["archive@example.com"]}
    assert (email.source, email.subject) == ("shop@shop.example", "Order 1001")
    assert "Order 1001 confirmed" in email.body


def test_seed_campaign_payload_creates_the_campaign_and_queues_it_without_sending(stack: Any) -> None:
    import boto3

    seed_account()
    seed_list(list_id=2222)
    seed_list(list_id=2223)
    seed_template(template_id=31)
    sample = {
        "event": "campaign.requested",
        "data": {
            "name": "Black Friday",
            "from_name": "Shop Example",
            "from_email": "news@shop.example",
            "subject": "Our best offer",
            "lists": "[2222, 2223]",
            "template_id": 31,
        },
    }
    mapping = {name: f"/data/{name}" for name in CAMPAIGN_CALL}
    webhook = seed_webhook("send_campaign", mapping, sample_payload=sample)

    status, body, _ = call(with_token(load_event("inbound_send_campaign_json.json"), webhook.token))

    assert status == 200
    campaign = campaign_records().get_campaign(12, body["id"])  # type: ignore[index]
    assert campaign is not None
    assert (campaign.name, campaign.list_ids, campaign.template_id, campaign.status) == (
        "Black Friday",
        [2222, 2223],
        31,
        "queued",
    )
    queue_url = stack.physical["CampaignQueue"]["QueueUrl"]
    [message] = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(message["Body"]) == {"account_id": 12, "campaign_id": campaign.id}
    assert sent_emails() == []


@pytest.mark.parametrize("lists", [[2222, 2223], "[2222, 2223]", "2222, 2223", "2222,2223"])
def test_campaign_lists_accept_every_written_form(lists: Any) -> None:
    seed_account()
    seed_list(list_id=2222)
    seed_list(list_id=2223)
    seed_template(template_id=31)
    webhook = seed_webhook(
        "send_campaign",
        {
            "name": "/n",
            "from_name": "/n",
            "from_email": "/f",
            "subject": "/n",
            "lists": "/lists",
            "template_id": "/t",
        },
    )

    status, body, _ = call(
        hook_event(
            webhook.token, json.dumps({"n": "Offer", "f": "news@shop.example", "lists": lists, "t": "31"})
        )
    )

    assert status == 200
    assert campaign_records().get_campaign(12, body["id"]).list_ids == [2222, 2223]  # type: ignore[index, union-attr]


def test_head_answers_an_active_webhook_without_running_anything() -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)

    status, body, _ = call(hook_event(webhook.token, json.dumps({"email": "ana@example.com"}), method="HEAD"))

    assert (status, body) == (200, None)
    assert list_records().get_subscriber(2222, "ana@example.com") is None
    assert inbound_webhook_records().find_inbound_webhook(webhook.token).stats.success_count == 0  # type: ignore[union-attr]


def test_head_on_a_free_plan_accounts_webhook_answers_403_as_a_post_does() -> None:
    seed_account(plan="free")
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})
    body = json.dumps({"text": "Hi", "to": "+34600000000", "from": "ShopEx"})

    head = call(hook_event(webhook.token, body, method="HEAD"))
    post = call(hook_event(webhook.token, body))

    assert (head[0], head[1]) == (403, None)
    assert post[:2] == (
        403,
        {"error": "inbound webhooks are a feature of paid plans, and this account is on the free plan"},
    )
    assert sent_sms() == {}


def test_last_call_at_stays_at_the_later_call_when_an_earlier_one_is_counted_after_it() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})
    overtaking: list[tuple[int, dict[str, Any] | None, dict[str, str]]] = []

    def call_meanwhile(**_: Any) -> None:
        # A call that arrives while this one sends, and is answered and counted first.
        if not overtaking:
            overtaking.append(call(hook_event(webhook.token, json.dumps({"text": "Hi"}))))

    aws().sns.meta.events.register("before-call.sns.Publish", call_meanwhile)
    first = call(
        hook_event(webhook.token, json.dumps({"text": "Hi", "to": "+34600000000", "from": "ShopEx"}))
    )

    assert (first[0], overtaking[0][0]) == (201, 400)
    earlier, later = sorted(record.at for record in inbound_webhook_records().inbound_calls(webhook.id))
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count, stats.last_call_at) == (1, 1, later)
    assert earlier < later


def test_tokens_are_256_bit_url_safe() -> None:
    seed_account()
    tokens = {seed_webhook("send_sms", {}).token for _ in range(20)}
    assert len(tokens) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43,}", token) for token in tokens)


def test_a_senders_retry_of_a_successful_call_gets_the_same_answer_and_sends_once() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})
    event = hook_event(webhook.token, json.dumps({"text": "Shipped", "to": "+34600000000", "from": "ShopEx"}))

    first, retry = call(event), call(event)

    assert first[:2] == retry[:2]
    assert first[0] == 201
    assert len(sent_sms()) == 1


def test_calls_with_one_idempotency_key_run_once_whatever_their_bodies() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", {"body": "/text", "recipient": "/to", "sender": "/from"})
    key = {"Idempotency-Key": "order-1001-shipped"}

    first = call(
        hook_event(
            webhook.token, json.dumps({"text": "A", "to": "+34600000000", "from": "Shop"}), headers=key
        )
    )
    second = call(
        hook_event(
            webhook.token, json.dumps({"text": "B", "to": "+34600000000", "from": "Shop"}), headers=key
        )
    )
    other = call(hook_event(webhook.token, json.dumps({"text": "B", "to": "+34600000000", "from": "Shop"})))

    assert first[:2] == second[:2]
    assert other[0] == 201
    assert other[1] != first[1]
    assert sorted(message for _, message, *_ in sent_sms().values()) == ["A", "B"]


def test_a_failed_call_is_not_remembered_so_its_retry_runs() -> None:
    seed_account()
    seed_template(template_id=31)
    webhook = seed_webhook("send_campaign", CAMPAIGN_MAPPING)
    event = hook_event(webhook.token, json.dumps(CAMPAIGN_CALL))

    missing_list = call(event)
    seed_list(list_id=2222)
    retried = call(event)

    assert missing_list[:2] == (404, {"error": "list 2222 was not found"})
    assert retried[0] == 200
