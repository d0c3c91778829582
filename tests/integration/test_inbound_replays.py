"""Replays made visible: a call repeating one within its webhook's window gets the first answer, marked
with Idempotent-Replayed and in the call log; the window is each webhook's own, and 0 turns it off; a
sender's delivery id header makes two calls the same whatever their bodies. Through the inbound and admin
handlers, over moto."""

import json
import time
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.models import ActivityKind
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from tests.support.activities import activities
from tests.support.admin import admin
from tests.support.helpers import (
    call,
    hook_event,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
    sent_sms,
)

pytestmark = pytest.mark.usefixtures("stack")

EMAIL_MAPPING = {"body": "/html", "to_email": "/to", "from_email": "/from", "subject": "/subject"}
EMAIL = {"html": "<p>Order 1001</p>", "to": "ana@example.com", "from": "shop@shop.example", "subject": "1001"}
SMS_MAPPING = {"body": "/text", "recipient": "/to", "sender": "/from"}


def replayed(headers: dict[str, Any]) -> Any:
    return headers.get("Idempotent-Replayed")


def test_the_same_send_email_within_the_window_is_answered_again_marked_replayed_and_logged_so() -> None:
    seed_account()
    webhook = seed_webhook("send_email", EMAIL_MAPPING)
    event = hook_event(webhook.token, json.dumps(EMAIL))

    first, second = call(event), call(event)

    assert first[:2] == second[:2]
    assert first[0] == 200
    assert (replayed(first[2]), replayed(second[2])) == (None, ["true"])
    assert len(sent_emails()) == 1
    assert [record.activity_id for record in activities()] == [ActivityKind.SEND]
    newest, oldest = inbound_webhook_records().inbound_calls(webhook.id)
    assert (oldest.replayed, newest.replayed) == (False, True)


def test_with_the_window_set_to_0_each_identical_call_sends_and_keeps_no_record() -> None:
    seed_account()
    webhook = seed_webhook("send_email", EMAIL_MAPPING, replay_window_seconds=0)
    event = hook_event(webhook.token, json.dumps(EMAIL))

    first, second = call(event), call(event)

    assert (first[0], second[0]) == (200, 200)
    assert first[1] != second[1]
    assert (replayed(first[2]), replayed(second[2])) == (None, None)
    assert len(sent_emails()) == 2
    sends = activities()
    assert [record.activity_id for record in sends] == [ActivityKind.SEND] * 2
    assert sends[0].action_id != sends[1].action_id
    assert boto3.client("dynamodb").scan(TableName=aws().idempotency_store.table_name)["Items"] == []


@pytest.mark.parametrize(
    "header",
    ["Idempotency-Key", "webhook-id", "X-Shopify-Webhook-Id", "X-GitHub-Delivery", "x-github-delivery"],
)
def test_a_senders_delivery_id_header_makes_calls_the_same_whatever_their_bodies(header: str) -> None:
    seed_account()
    webhook = seed_webhook("send_sms", SMS_MAPPING)

    def sms(text: str, delivery: str) -> tuple[int, dict[str, Any] | None, dict[str, Any]]:
        body = json.dumps({"text": text, "to": "+34600000000", "from": "ShopEx"})
        return call(hook_event(webhook.token, body, headers={header: delivery}))

    first, retry, other = sms("A", "d-1"), sms("B", "d-1"), sms("B", "d-2")

    assert first[:2] == retry[:2]
    assert replayed(retry[2]) == ["true"]
    assert (other[0], replayed(other[2])) == (201, None)
    assert sorted(message for _, message, *_ in sent_sms().values()) == ["A", "B"]


def test_a_delivery_id_of_one_header_is_not_the_same_as_that_id_in_another() -> None:
    seed_account()
    webhook = seed_webhook("send_sms", SMS_MAPPING)
    body = json.dumps({"text": "A", "to": "+34600000000", "from": "ShopEx"})

    github = call(hook_event(webhook.token, body, headers={"X-GitHub-Delivery": "d-1"}))
    shopify = call(hook_event(webhook.token, body, headers={"X-Shopify-Webhook-Id": "d-1"}))

    assert (replayed(github[2]), replayed(shopify[2])) == (None, None)
    assert len(sent_sms()) == 2


def test_each_webhook_keeps_its_calls_for_its_own_window() -> None:
    seed_account()
    default = seed_webhook("send_sms", SMS_MAPPING)
    short = seed_webhook("send_sms", SMS_MAPPING, replay_window_seconds=30)
    body = json.dumps({"text": "A", "to": "+34600000000", "from": "ShopEx"})

    for webhook in (default, short):
        assert call(hook_event(webhook.token, body))[0] == 201

    store = aws().idempotency_store
    records = boto3.client("dynamodb").scan(TableName=store.table_name)["Items"]
    windows = sorted(int(record[store.expiry_attr]["N"]) - time.time() for record in records)
    assert [round(window, -1) for window in windows] == [30, 600]


def test_the_window_is_set_and_shown_through_the_admin_api(
    monkeypatch: pytest.MonkeyPatch, stack: Stack
) -> None:
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    seed_account()
    webhook = seed_webhook(
        "send_sms", SMS_MAPPING, sample_payload={"text": "A", "to": "+34600000000", "from": "S"}
    )
    path = f"/admin/inbound-webhooks/{webhook.id}"

    shown = admin("GET", path)
    off = admin("PATCH", path, body={"replay_window_seconds": 0})
    refused = [admin("PATCH", path, body={"replay_window_seconds": value}) for value in (-1, 86401, None)]

    assert shown[1]["replay_window_seconds"] == 600
    assert off[1]["replay_window_seconds"] == 0
    assert inbound_webhook_records().find_inbound_webhook(webhook.token).replay_window_seconds == 0  # type: ignore[union-attr]
    assert [status for status, _ in refused] == [400, 400, 400]


def test_an_operation_that_sends_nothing_keeps_no_record_and_changes_nothing_twice() -> None:
    seed_account()
    seed_list()
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    event = hook_event(webhook.token, json.dumps({"email": "ana@example.com"}))

    first, retry = call(event), call(event)

    assert first[:2] == retry[:2] == (201, {"id": first[1]["id"], "email": "ana@example.com"})  # type: ignore[index]
    assert replayed(retry[2]) is None
    assert boto3.client("dynamodb").scan(TableName=aws().idempotency_store.table_name)["Items"] == []
    assert [record.activity_id for record in activities()] == [ActivityKind.SUBSCRIBE]
