"""Inbound webhooks: their secret URLs, operations and mappings, stats, captured samples and call log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mailhooks.admin.base import current_request, paid_account, route, view_of
from mailhooks.inbound.inbound_webhooks import (
    WebhookSettings,
    calls_of,
    change_inbound_webhook,
    create_inbound_webhook,
    delete_inbound_webhook,
    listen,
    rotate_url,
    webhook_of,
)
from mailhooks.links import api_base_url
from mailhooks.models import InboundCallRecord, InboundWebhook, WebhookStats
from mailhooks.store.inbound_webhooks import inbound_webhook_records

PATH = "/admin/inbound-webhooks"


@dataclass(frozen=True, kw_only=True)
class InboundWebhookView:
    id: str
    name: str
    operation: str
    url: str
    sample_payload: Any
    mapping: dict[str, str]
    list_id: int | None
    active: bool
    listening: bool
    calls_per_second: int | None
    burst: int | None
    replay_window_seconds: int
    stats: WebhookStats
    created_at: datetime
    updated_at: datetime


def _view(webhook: InboundWebhook) -> InboundWebhookView:
    base_url = api_base_url(current_request())
    return view_of(InboundWebhookView, webhook, url=f"{base_url}/hooks/{webhook.token}")


@route(
    "post",
    PATH,
    "Create an inbound webhook",
    body=WebhookSettings,
    status=201,
    answered="The new webhook",
)
def create(settings: WebhookSettings) -> InboundWebhookView:
    return _view(create_inbound_webhook(paid_account().id, settings))


@route("get", PATH, "The account's inbound webhooks, with their stats")
def list_all() -> list[InboundWebhookView]:
    return [_view(webhook) for webhook in inbound_webhook_records().inbound_webhooks(paid_account().id)]


@route("get", f"{PATH}/<webhook_id>", "One inbound webhook")
def read(webhook_id: str) -> InboundWebhookView:
    return _view(webhook_of(paid_account().id, webhook_id))


@route("patch", f"{PATH}/<webhook_id>", "Change some of a webhook's settings", given=WebhookSettings)
def change(webhook_id: str, given: dict[str, Any]) -> InboundWebhookView:
    return _view(change_inbound_webhook(paid_account().id, webhook_id, given))


@route(
    "delete",
    f"{PATH}/<webhook_id>",
    "Delete a webhook; its URL answers 404 from now on",
    status=204,
    answered="Deleted",
)
def delete(webhook_id: str) -> None:
    delete_inbound_webhook(paid_account().id, webhook_id)


@route("post", f"{PATH}/<webhook_id>/rotate-url", "Give the webhook a new secret URL; the old one stops")
def rotate(webhook_id: str) -> InboundWebhookView:
    return _view(rotate_url(paid_account().id, webhook_id))


@route(
    "post",
    f"{PATH}/<webhook_id>/listen",
    "Store the next call to the URL as the sample payload, instead of running the operation",
)
def capture(webhook_id: str) -> InboundWebhookView:
    return _view(listen(paid_account().id, webhook_id))


@route("get", f"{PATH}/<webhook_id>/calls", "The webhook's last 50 calls, newest first")
def calls(webhook_id: str) -> list[InboundCallRecord]:
    return calls_of(paid_account().id, webhook_id)
