"""Inbound webhooks: their secret URLs, operations and mappings, stats, captured samples and call log."""

from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response

from mailhooks.admin.base import Body, new_router, paid_account
from mailhooks.gateway import GatewayRequest
from mailhooks.inbound.inbound_webhooks import (
    WebhookChanges,
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

router = new_router()
PATH = "/admin/inbound-webhooks"


class InboundWebhookView(Body):
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
    base_url = api_base_url(GatewayRequest.of(router.current_event.raw_event))
    shown = {name: getattr(webhook, name) for name in InboundWebhookView.model_fields if name != "url"}
    return InboundWebhookView(url=f"{base_url}/hooks/{webhook.token}", **shown)


@router.post(PATH, summary="Create an inbound webhook", responses={201: {"description": "The new webhook"}})
def create(settings: WebhookSettings) -> tuple[InboundWebhookView, int]:
    return _view(create_inbound_webhook(paid_account(router).id, settings)), 201


@router.get(PATH, summary="The account's inbound webhooks, with their stats")
def list_all() -> list[InboundWebhookView]:
    return [_view(webhook) for webhook in inbound_webhook_records().inbound_webhooks(paid_account(router).id)]


@router.get(f"{PATH}/<webhook_id>", summary="One inbound webhook")
def read(webhook_id: str) -> InboundWebhookView:
    return _view(webhook_of(paid_account(router).id, webhook_id))


@router.patch(f"{PATH}/<webhook_id>", summary="Change some of a webhook's settings")
def change(webhook_id: str, changes: WebhookChanges) -> InboundWebhookView:
    return _view(change_inbound_webhook(paid_account(router).id, webhook_id, changes))


@router.delete(f"{PATH}/<webhook_id>", summary="Delete a webhook; its URL answers 404 from now on")
def delete(webhook_id: str) -> Response[str]:
    delete_inbound_webhook(paid_account(router).id, webhook_id)
    return Response(204, "application/json", "")


@router.post(
    f"{PATH}/<webhook_id>/rotate-url", summary="Give the webhook a new secret URL; the old one stops"
)
def rotate(webhook_id: str) -> InboundWebhookView:
    return _view(rotate_url(paid_account(router).id, webhook_id))


@router.post(
    f"{PATH}/<webhook_id>/listen",
    summary="Store the next call to the URL as the sample payload, instead of running the operation",
)
def capture(webhook_id: str) -> InboundWebhookView:
    return _view(listen(paid_account(router).id, webhook_id))


@router.get(f"{PATH}/<webhook_id>/calls", summary="The webhook's last 50 calls, newest first")
def calls(webhook_id: str) -> list[InboundCallRecord]:
    return calls_of(paid_account(router).id, webhook_id)
