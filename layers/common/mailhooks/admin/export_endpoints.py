"""Export endpoints: where an account's activities are POSTed, how they have been answering, and the log of
those deliveries."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from mailhooks import clock
from mailhooks.admin.base import account_id, current_request, route, view_of
from mailhooks.bodies import (
    BOOLEAN,
    EMAIL,
    MOMENT,
    Shape,
    body_field,
    choice,
    described,
    list_of,
    nullable,
    string,
    whole,
)
from mailhooks.links import api_base_url, api_host
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound import export_endpoints
from mailhooks.outbound.endpoint_health.breaker import failure_rate
from mailhooks.store.delivery_log import Delivery, DeliveryStatus
from mailhooks.store.endpoint_health import EndpointHealth, HealthState, health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.keys import key_of

E = TypeVar("E", bound="Endpoint")

KIND_NAMES = [kind.name.lower() for kind in ActivityKind]
# A kind by its name, as the API writes it, or by its activity_id in the published format.
_KINDS: dict[str | int, ActivityKind] = {
    **{kind.name.lower(): kind for kind in ActivityKind},
    **{kind.value: kind for kind in ActivityKind},
}


def _activity_kind(value: object) -> ActivityKind:
    key = value.lower() if isinstance(value, str) else value
    if isinstance(key, bool) or not isinstance(key, str | int) or key not in _KINDS:
        raise ValueError(f"{value!r} is not a kind of activity; the kinds are {', '.join(KIND_NAMES)}")
    return _KINDS[key]


ACTIVITIES = list_of(Shape(_activity_kind, {"type": "string", "enum": KIND_NAMES}), min_length=1)
URL = string(2048)
URL_DESCRIPTION = "https, on a host that leads only to public addresses, and not this API's."
OWNER_EMAIL = (
    "Who is warned when the endpoint keeps failing, and told when it is disabled. An address set or changed "
    "is mailed a link that confirms it, and nothing else until it is followed; giving an unconfirmed address "
    "again mails a new link."
)
LIMIT = nullable(whole(1))
MAX_CONCURRENCY = "The most requests at once it is sent; null: no limit."
MAX_PER_SECOND = "The most requests a second it is sent; null: no limit."


@dataclass(frozen=True, kw_only=True)
class NewEndpoint:
    url: str = body_field(URL, URL_DESCRIPTION)
    activities: list[ActivityKind] = body_field(ACTIVITIES, "The kinds of activity it receives.")
    active: bool = body_field(BOOLEAN, default=True)
    owner_email: str | None = body_field(nullable(EMAIL), OWNER_EMAIL, None)
    max_concurrency: int | None = body_field(LIMIT, MAX_CONCURRENCY, None)
    max_per_second: int | None = body_field(LIMIT, MAX_PER_SECOND, None)


@dataclass(frozen=True, kw_only=True)
class EndpointChanges:
    """What to change; what is left out stays as it is. A null url, activities or active changes nothing; a
    null owner_email or limit clears it."""

    url: str | None = body_field(nullable(URL), URL_DESCRIPTION, None)
    activities: list[ActivityKind] | None = body_field(nullable(ACTIVITIES), default=None)
    active: bool | None = body_field(
        nullable(BOOLEAN), "Switching it on again starts its health afresh.", None
    )
    owner_email: str | None = body_field(nullable(EMAIL), OWNER_EMAIL, None)
    max_concurrency: int | None = body_field(LIMIT, MAX_CONCURRENCY, None)
    max_per_second: int | None = body_field(LIMIT, MAX_PER_SECOND, None)


@dataclass(frozen=True, kw_only=True)
class Health:
    state: HealthState = described(
        "healthy: delivered to; open: its circuit breaker parks its deliveries, unsent, until a probe "
        "succeeds; disabled: switched off for failing."
    )
    state_changed_at: datetime | None
    open_until: datetime | None = described("While open: when the next probe may go.")
    recent_attempts: int = described("Attempts within the circuit breaker's window.")
    failure_rate: float | None = described("The share of those that failed; null without any.")
    consecutive_failures: int
    failing_since: datetime | None = described("When its current run of failures began.")
    disabled_reason: str | None
    last_error: str | None
    last_error_at: datetime | None
    parked: int = described(
        "Deliveries parked while its circuit breaker was open: sent when it closes, or when the endpoint is "
        "recovered."
    )


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    id: str
    url: str
    activities: list[str] = described(f"Of {', '.join(KIND_NAMES)}.")
    active: bool
    owner_email: str | None
    owner_email_confirmed: bool = described(
        "Whether the link mailed to the owner email was followed: only a confirmed one is warned."
    )
    max_concurrency: int | None
    max_per_second: int | None
    health: Health
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class EndpointWithSecret(Endpoint):
    secret: str = described(
        "Standard Webhooks signing secret of its deliveries; shown only on creation and rotation."
    )


@dataclass(frozen=True, kw_only=True)
class RotatedEndpoint(EndpointWithSecret):
    previous_secret_valid_until: datetime | None = described(
        "Until when the secret it replaced still signs its deliveries beside the new one."
    )


@dataclass(frozen=True, kw_only=True)
class SentTestEvent:
    delivery_id: str = described("The test event's webhook-id, and its id in the delivery log.")
    status: int | None = described("The receiver's HTTP status; null when no answer came.")
    latency_ms: int
    error: str | None = described("Why it was not delivered; null when the receiver answered 2xx.")


@dataclass(frozen=True, kw_only=True)
class LoggedAttempt:
    number: int
    at: datetime
    status_code: int | None = described("The receiver's HTTP status; null when no answer came.")
    error: str | None = described("Why it failed; null when the receiver answered 2xx.")
    latency_ms: int


@dataclass(frozen=True, kw_only=True)
class LoggedDelivery:
    webhook_id: str = described("Its webhook-id header, the same at every attempt.")
    account_id: int
    endpoint_id: str
    activity_id: str
    payload: dict[str, Any] = described("The activity POSTed, in the published format.")
    status: DeliveryStatus
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    attempts: list[LoggedAttempt] = described("Oldest first; empty in a page of deliveries.")


def _logged(delivery: Delivery) -> LoggedDelivery:
    attempts = [view_of(LoggedAttempt, attempt) for attempt in delivery.attempts]
    return view_of(LoggedDelivery, delivery, attempts=attempts)


@dataclass(frozen=True, kw_only=True)
class DeliveryPage:
    deliveries: list[LoggedDelivery] = described("Newest first, without their attempts.")
    next_cursor: str | None = described("Pass as cursor for the next page; null on the last page.")


@dataclass(frozen=True, kw_only=True)
class Recovery:
    since: datetime = body_field(MOMENT, "Deliveries that failed at this time or later are sent again.")


@dataclass(frozen=True, kw_only=True)
class Recovered:
    endpoint: Endpoint
    queued: int = described("How many failed and parked deliveries were queued to be sent.")


def _health(state: EndpointHealth) -> Health:
    attempts, rate = failure_rate(state, clock.now())
    return view_of(Health, state, recent_attempts=attempts, failure_rate=rate)


def _shown(view: type[E], endpoint: ExportEndpoint, state: EndpointHealth | None = None, **more: Any) -> E:
    """The endpoint as a view, with its health (read, unless given) and what else the view shows."""
    if state is None:
        state = health_records().read([key_of(endpoint)])[key_of(endpoint)]
    activities = [kind.name.lower() for kind in endpoint.activities]
    return view_of(view, endpoint, activities=activities, health=_health(state), **more)


def _base_url() -> str:
    return api_base_url(current_request())


def _api_host() -> str:
    """Where the caller reached this API: no endpoint may be there."""
    return api_host(current_request())


@route(
    "post",
    "/admin/endpoints",
    "Create an export endpoint; the answer shows its signing secret",
    body=NewEndpoint,
    status=201,
    answered="The new endpoint, with its secret",
)
def create_endpoint(new: NewEndpoint) -> EndpointWithSecret:
    created = export_endpoints.create_endpoint(
        account_id(),
        new.url,
        new.activities,
        new.active,
        _base_url(),
        new.owner_email,
        new.max_concurrency,
        new.max_per_second,
        _api_host(),
    )
    return _shown(EndpointWithSecret, created, secret=created.secret)


@route("get", "/admin/endpoints", "The account's export endpoints, with their health")
def list_endpoints() -> list[Endpoint]:
    endpoints = export_endpoint_records().export_endpoints(account_id())
    states = health_records().read(key_of(endpoint) for endpoint in endpoints)
    return [_shown(Endpoint, endpoint, states[key_of(endpoint)]) for endpoint in endpoints]


@route("get", "/admin/endpoints/<endpoint_id>", "One export endpoint, with its health")
def read_endpoint(endpoint_id: str) -> Endpoint:
    return _shown(Endpoint, export_endpoints.export_endpoint(account_id(), endpoint_id))


@route(
    "patch",
    "/admin/endpoints/<endpoint_id>",
    "Change an export endpoint's URL, kinds, switch, owner email or limits",
    given=EndpointChanges,
)
def update_endpoint(endpoint_id: str, given: dict[str, Any]) -> Endpoint:
    updated = export_endpoints.update_endpoint(account_id(), endpoint_id, given, _base_url(), _api_host())
    return _shown(Endpoint, updated)


@route(
    "post",
    "/admin/endpoints/<endpoint_id>/recover",
    "Switch an export endpoint on again, and send again what failed since a time",
    description="Its health starts afresh; every delivery of it that failed at `since` or later (test "
    "events aside) is queued again, with its webhook-id, for a new round of attempts; and every delivery "
    "parked while its circuit breaker was open is queued.",
    body=Recovery,
    status=202,
    answered="Queued",
)
def recover(endpoint_id: str, recovery: Recovery) -> Recovered:
    endpoint, queued = export_endpoints.recover(account_id(), endpoint_id, recovery.since)
    return Recovered(endpoint=_shown(Endpoint, endpoint), queued=queued)


@route(
    "delete",
    "/admin/endpoints/<endpoint_id>",
    "Delete an export endpoint; what is queued for it is dropped",
    status=204,
    answered="Deleted",
)
def delete_endpoint(endpoint_id: str) -> None:
    export_endpoints.delete_endpoint(account_id(), endpoint_id)


@route(
    "post",
    "/admin/endpoints/<endpoint_id>/rotate-secret",
    "Give an export endpoint a new signing secret, which signs from its next delivery on",
    description="For 24 hours the secret it replaces signs each delivery too, beside it (two signatures in "
    "webhook-signature): deliveries verify with either while its receiver changes over.",
)
def rotate_secret(endpoint_id: str) -> RotatedEndpoint:
    rotated = export_endpoints.rotate_secret(account_id(), endpoint_id)
    return _shown(
        RotatedEndpoint,
        rotated,
        secret=rotated.secret,
        previous_secret_valid_until=rotated.previous_secret_expires_at,
    )


@route(
    "post",
    "/admin/endpoints/<endpoint_id>/test",
    "POST a test event to an export endpoint now; the receiver's answer",
    description='A signed activity in the published format, marked with "test": true, action_id 0 and the '
    "address test@example.com, of the first kind the endpoint ticks; logged in the delivery log.",
)
def send_test_event(endpoint_id: str) -> SentTestEvent:
    sent = export_endpoints.send_test_event(account_id(), endpoint_id, _api_host())
    [attempt] = sent.attempts
    return SentTestEvent(
        delivery_id=sent.webhook_id,
        status=attempt.status_code,
        latency_ms=attempt.latency_ms,
        error=attempt.error,
    )


@route(
    "get",
    "/admin/endpoints/<endpoint_id>/deliveries",
    "A page of an export endpoint's deliveries in one status, newest first",
    query={
        "status": (choice(["pending", "delivered", "failed", "aborted", "dropped"]), None),
        "cursor": (string(), "next_cursor of the previous page"),
        "limit": (whole(1, 100), None),
    },
)
def list_deliveries(
    endpoint_id: str, status: DeliveryStatus, cursor: str | None = None, limit: int = 50
) -> DeliveryPage:
    deliveries, next_cursor = export_endpoints.endpoint_deliveries(
        account_id(), endpoint_id, status, cursor, limit
    )
    return DeliveryPage(deliveries=[_logged(delivery) for delivery in deliveries], next_cursor=next_cursor)


@route("get", "/admin/deliveries/<delivery_id>", "One delivery, with its attempts")
def read_delivery(delivery_id: str) -> LoggedDelivery:
    return _logged(export_endpoints.delivery(account_id(), delivery_id))


@route(
    "post",
    "/admin/deliveries/<delivery_id>/retry",
    "Send a delivered or failed delivery again, with the same webhook-id",
    status=202,
    answered="Queued: the delivery, pending",
)
def retry_delivery(delivery_id: str) -> LoggedDelivery:
    return _logged(export_endpoints.retry_delivery(account_id(), delivery_id))
