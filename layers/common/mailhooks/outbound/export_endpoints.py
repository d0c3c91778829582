"""Export endpoints as their owner manages them: URLs checked by the SSRF guard when saved, signing
secrets, a test event sent at once, and the delivery log, whose deliveries can be sent again.

What is saved applies to the next activity (the fan-out reads an account's endpoints per batch) and to the
next attempt of what is queued (the deliver function reads the endpoint, URL and secret, per batch).

The test event is one activity in the published format, marked so that no receiver can take it for a real
one: "test": true, action_id 0, the address test@example.com, the account's own id, and a webhook-id that
starts with msg_test_. Its kind is the first the endpoint ticks. It is POSTed at once, signed, through the
same session, SSRF guard and timeouts as every delivery, and logged in the delivery log; it is not retried
on the schedule, though its owner can send it again like any other delivery.

An endpoint disabled for failing (outbound.endpoint_health) is switched on again by its owner, its health
afresh; recovering it does that and sends again every delivery that failed since a given time, and every
parked one.

An owner email set or changed is unconfirmed, and is mailed its confirmation link (outbound.owner_emails)
before the endpoint is saved: when SES does not take the mail, nothing is saved. Giving an unconfirmed
address again mails a new link, the way to replace one that expired.
"""

import secrets
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from mailhooks import clock
from mailhooks.errors import Conflict, InvalidInput, NotFound
from mailhooks.models import ActivityKind, ExportEndpoint, SendingType
from mailhooks.outbound.activity import ActivityRecord, new_activity_id
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.outbound.delivery.ssrf import check_endpoint_url
from mailhooks.outbound.delivery_message import DeliveryMessage, delivery_message
from mailhooks.outbound.owner_emails import ask_to_confirm
from mailhooks.outbound.parking import release_all, requeue
from mailhooks.store.delivery_log import Delivery, DeliveryStatus, delivery_log
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.keys import key_of

TEST_EMAIL = "test@example.com"
TEST_CLICK_URL = "https://example.com/test"
TEST_ACTIVITY_PREFIX = "test_"
# How long a rotated secret still signs deliveries beside the new one.
PREVIOUS_SECRET_LIFETIME = timedelta(hours=24)
# What a change of None leaves as it is; None clears the others (the owner's email, the limits).
_KEPT_UNLESS_GIVEN = ("url", "activities", "active")


def _checked_url(url: str, api_host: str | None) -> str:
    try:
        check_endpoint_url(url, api_host)
    except InvalidInput as refusal:
        raise InvalidInput(f"url: {refusal.message}") from None
    return url


def _kinds(activities: list[ActivityKind]) -> list[ActivityKind]:
    return sorted(set(activities))


def export_endpoint(account_id: int, endpoint_id: str) -> ExportEndpoint:
    found = export_endpoint_records().get_export_endpoint(account_id, endpoint_id)
    if found is None:
        raise NotFound(f"export endpoint {endpoint_id} was not found")
    return found


def create_endpoint(
    account_id: int,
    url: str,
    activities: list[ActivityKind],
    active: bool,
    base_url: str,
    owner_email: str | None = None,
    max_concurrency: int | None = None,
    max_per_second: int | None = None,
    api_host: str | None = None,
) -> ExportEndpoint:
    """A new endpoint; its URL refused when the SSRF guard refuses it, or when it is on this API's host
    (api_host: where the caller reached the API); its owner email, if given, is mailed the link that confirms
    it (base_url: where the API was reached, which the link points to)."""
    created = ExportEndpoint(
        id=f"ep_{secrets.token_hex(8)}",
        account_id=account_id,
        url=_checked_url(url, api_host),
        activities=_kinds(activities),
        active=active,
        secret=new_secret(),
        owner_email=owner_email,
        max_concurrency=max_concurrency,
        max_per_second=max_per_second,
    )
    if owner_email:
        ask_to_confirm(account_id, created.id, owner_email, base_url)
    export_endpoint_records().put_export_endpoint(created)
    return created


def update_endpoint(
    account_id: int,
    endpoint_id: str,
    changes: Mapping[str, object],
    base_url: str,
    api_host: str | None = None,
) -> ExportEndpoint:
    """Change what is given: url, activities, active, owner_email, max_concurrency, max_per_second; a URL
    is checked as create_endpoint checks it. An owner email given, unless it is the confirmed one already, is
    mailed the link that confirms it; base_url: where the API was reached, which the link points to."""
    kept = {
        name: value for name, value in changes.items() if value is not None or name not in _KEPT_UNLESS_GIVEN
    }
    if isinstance(url := kept.get("url"), str):
        kept["url"] = _checked_url(url, api_host)
    if isinstance(activities := kept.get("activities"), list):
        kept["activities"] = _kinds(activities)
    current = export_endpoint(account_id, endpoint_id)
    if "owner_email" in kept and not (
        kept["owner_email"] == current.owner_email and current.owner_email_confirmed
    ):
        kept["owner_email_confirmed"] = False
        if isinstance(owner_email := kept["owner_email"], str):
            ask_to_confirm(account_id, endpoint_id, owner_email, base_url)
    return _change(current, kept)


def _change(current: ExportEndpoint, changes: Mapping[str, Any]) -> ExportEndpoint:
    """Save the changes; switching an endpoint on again starts its health afresh."""
    changed = _save_change(current, changes)
    if changed.active and not current.active:
        health_records().reset(key_of(changed), changed.updated_at)
    return changed


def _save_change(current: ExportEndpoint, changes: Mapping[str, Any]) -> ExportEndpoint:
    changed = replace(current, **changes, updated_at=clock.now())
    if not export_endpoint_records().replace_export_endpoint(changed, current.updated_at):
        raise Conflict("the endpoint was changed or deleted meanwhile; read it again and retry")
    return changed


def delete_endpoint(account_id: int, endpoint_id: str) -> None:
    if not export_endpoint_records().delete_export_endpoint(account_id, endpoint_id):
        raise NotFound(f"export endpoint {endpoint_id} was not found")
    health_records().forget((account_id, endpoint_id))


def rotate_secret(account_id: int, endpoint_id: str) -> ExportEndpoint:
    """A new signing secret, which signs from the next delivery on; the one it replaces signs beside it for
    PREVIOUS_SECRET_LIFETIME (one replaced before is dropped)."""
    current = export_endpoint(account_id, endpoint_id)
    rotated = {
        "secret": new_secret(),
        "previous_secret": current.secret,
        "previous_secret_expires_at": clock.now() + PREVIOUS_SECRET_LIFETIME,
    }
    return _save_change(current, rotated)


def _test_message(endpoint: ExportEndpoint) -> DeliveryMessage:
    kind = endpoint.activities[0]
    activity = ActivityRecord(
        id=f"{TEST_ACTIVITY_PREFIX}{new_activity_id()}",
        account_id=endpoint.account_id,
        action_id=0,
        type_id=SendingType.CAMPAIGN,
        activity_id=kind,
        email=TEST_EMAIL,
        url=TEST_CLICK_URL if kind == ActivityKind.CLICK else None,
    )
    message = delivery_message(activity, endpoint)
    return replace(message, payload={**message.payload, "test": True})


def send_test_event(account_id: int, endpoint_id: str, api_host: str | None = None) -> Delivery:
    """POST a test event to the endpoint now, switched on or not, and log it: the delivery, with its one
    attempt. A refused URL (one on this API's host, api_host, too) is an InvalidInput, and nothing is sent
    or logged."""
    # Imported here: the HTTP session and its pool are the deliver function's, and every other admin route
    # would pay for them at each cold start.
    from mailhooks.outbound.delivery.http import timed_attempt

    endpoint = export_endpoint(account_id, endpoint_id)
    message = _test_message(endpoint)
    try:
        check_endpoint_url(endpoint.url, api_host)
        attempt, _ = timed_attempt(endpoint, message, 1)
    except InvalidInput as refusal:
        raise InvalidInput(f"nothing was sent: {refusal.message}") from None
    sent = Delivery(
        **asdict(message),
        status="delivered" if attempt.error is None else "failed",
        attempt_count=1,
        last_status_code=attempt.status_code,
        last_error=attempt.error,
    )
    return delivery_log().record(sent, attempt)


def endpoint_deliveries(
    account_id: int, endpoint_id: str, status: DeliveryStatus, cursor: str | None, limit: int
) -> tuple[list[Delivery], str | None]:
    """A page of the endpoint's deliveries in one status, newest first; and the cursor of the next page."""
    export_endpoint(account_id, endpoint_id)
    return delivery_log().page(account_id, endpoint_id, status, cursor, limit)


def delivery(account_id: int, delivery_id: str) -> Delivery:
    """One delivery, with its attempts; its id is the webhook-id its receiver got."""
    found = delivery_log().get(account_id, delivery_id)
    if found is None:
        raise NotFound(f"delivery {delivery_id} was not found")
    return found


def retry_delivery(account_id: int, delivery_id: str) -> Delivery:
    """Queue a settled delivery (delivered, failed, aborted or dropped) to be POSTed again, with the same
    webhook-id and body, for a new round of attempts on the retry schedule: the delivery as it now stands,
    pending. Marking it pending is what lets the deliver function attempt it even when it was delivered;
    copies of it queued earlier are suppressed again once it is delivered."""
    found = delivery(account_id, delivery_id)
    if found.status == "pending":
        raise Conflict(f"delivery {delivery_id} is pending: it is being attempted, or waits for its next try")
    endpoint = export_endpoint_records().get_export_endpoint(account_id, found.endpoint_id)
    if endpoint is None or not endpoint.active:
        change = "was deleted" if endpoint is None else "is switched off"
        raise Conflict(f"delivery {delivery_id} cannot be sent again: its endpoint {change}")
    queued = requeue([found], clock.now())
    if not queued:
        raise Conflict(f"delivery {delivery_id} changed meanwhile, or is being attempted: try again")
    return queued[0]


def recover(account_id: int, endpoint_id: str, since: datetime) -> tuple[ExportEndpoint, int]:
    """Switch the endpoint on (again), and send again every delivery of it that failed at `since` or later,
    test events aside, and every one parked behind its open breaker (never sent, none is given up): the
    endpoint, and how many were queued."""
    endpoint = export_endpoint(account_id, endpoint_id)
    if not endpoint.active:
        endpoint = _change(endpoint, {"active": True})
    failed = [
        found
        for found in delivery_log().settled_since(account_id, endpoint_id, "failed", since)
        if not found.activity_id.startswith(TEST_ACTIVITY_PREFIX)
    ]
    at = clock.now()
    return endpoint, len(requeue(failed, at)) + release_all((account_id, endpoint_id), at)
