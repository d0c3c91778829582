"""Export endpoints: where an account's activities are POSTed, how they have been answering, and the log of
those deliveries."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from mailhooks import clock
from mailhooks.admin.base import Body, account_id, new_router
from mailhooks.body_fields import Email
from mailhooks.gateway import GatewayRequest
from mailhooks.links import api_base_url, api_host
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound import export_endpoints
from mailhooks.outbound.endpoint_health.breaker import failure_rate
from mailhooks.store.delivery_log import Delivery, DeliveryStatus
from mailhooks.store.endpoint_health import EndpointHealth, HealthState, health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.keys import key_of

router = new_router()

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


ActivityName = Annotated[
    ActivityKind,
    PlainValidator(_activity_kind),
    PlainSerializer(lambda kind: kind.name.lower(), return_type=str),
    WithJsonSchema({"type": "string", "enum": KIND_NAMES}),
]
URL_DESCRIPTION = "https, on a host that leads only to public addresses, and not this API's."
OWNER_EMAIL = Field(
    default=None,
    description="Who is warned when the endpoint keeps failing, and told when it is disabled. An address set "
    "or changed is mailed a link that confirms it, and nothing else until it is followed; giving an "
    "unconfirmed address again mails a new link.",
)
MAX_CONCURRENCY = Field(
    default=None, ge=1, description="The most requests at once it is sent; null: no limit."
)
MAX_PER_SECOND = Field(
    default=None, ge=1, description="The most requests a second it is sent; null: no limit."
)


class NewEndpoint(Body):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description=URL_DESCRIPTION)
    activities: list[ActivityName] = Field(min_length=1, description="The kinds of activity it receives.")
    active: bool = True
    owner_email: Email | None = OWNER_EMAIL
    max_concurrency: int | None = MAX_CONCURRENCY
    max_per_second: int | None = MAX_PER_SECOND


class EndpointChanges(Body):
    """What to change; what is left out stays as it is. A null url, activities or active changes nothing; a
    null owner_email or limit clears it."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2048, description=URL_DESCRIPTION)
    activities: list[ActivityName] | None = Field(default=None, min_length=1)
    active: bool | None = Field(default=None, description="Switching it on again starts its health afresh.")
    owner_email: Email | None = OWNER_EMAIL
    max_concurrency: int | None = MAX_CONCURRENCY
    max_per_second: int | None = MAX_PER_SECOND


class Health(Body):
    state: HealthState = Field(
        description="healthy: delivered to; open: its circuit breaker parks its deliveries, unsent, until a "
        "probe succeeds; disabled: switched off for failing."
    )
    state_changed_at: datetime | None
    open_until: datetime | None = Field(description="While open: when the next probe may go.")
    recent_attempts: int = Field(description="Attempts within the circuit breaker's window.")
    failure_rate: float | None = Field(description="The share of those that failed; null without any.")
    consecutive_failures: int
    failing_since: datetime | None = Field(description="When its current run of failures began.")
    disabled_reason: str | None
    last_error: str | None
    last_error_at: datetime | None
    parked: int = Field(
        description="Deliveries parked while its circuit breaker was open: sent when it closes, or when the "
        "endpoint is recovered."
    )


class Endpoint(Body):
    id: str
    url: str
    activities: list[ActivityName]
    active: bool
    owner_email: str | None
    owner_email_confirmed: bool = Field(
        description="Whether the link mailed to the owner email was followed: only a confirmed one is warned."
    )
    max_concurrency: int | None
    max_per_second: int | None
    health: Health
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(Endpoint):
    secret: str = Field(
        description="Standard Webhooks signing secret of its deliveries; shown only on creation and rotation."
    )


class RotatedEndpoint(EndpointWithSecret):
    previous_secret_valid_until: datetime = Field(
        description="Until when the secret it replaced still signs its deliveries beside the new one."
    )


class SentTestEvent(Body):
    delivery_id: str = Field(description="The test event's webhook-id, and its id in the delivery log.")
    status: int | None = Field(description="The receiver's HTTP status; null when no answer came.")
    latency_ms: int
    error: str | None = Field(description="Why it was not delivered; null when the receiver answered 2xx.")


class LoggedAttempt(Body):
    number: int
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer came.")
    error: str | None = Field(description="Why it failed; null when the receiver answered 2xx.")
    latency_ms: int


class LoggedDelivery(Body):
    webhook_id: str = Field(description="Its webhook-id header, the same at every attempt.")
    account_id: int
    endpoint_id: str
    activity_id: str
    payload: dict[str, Any] = Field(description="The activity POSTed, in the published format.")
    status: DeliveryStatus
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    attempts: list[LoggedAttempt] = Field(description="Oldest first; empty in a page of deliveries.")


def _logged(delivery: Delivery) -> LoggedDelivery:
    return LoggedDelivery.model_validate(asdict(delivery))


class DeliveryPage(Body):
    deliveries: list[LoggedDelivery] = Field(description="Newest first, without their attempts.")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page.")


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


class Recovery(Body):
    model_config = ConfigDict(extra="forbid")

    since: Annotated[AwareDatetime, AfterValidator(_utc)] = Field(
        description="Deliveries that failed at this time or later are sent again."
    )


class Recovered(Body):
    endpoint: Endpoint
    queued: int = Field(description="How many failed and parked deliveries were queued to be sent.")


def _health(state: EndpointHealth) -> Health:
    attempts, rate = failure_rate(state, clock.now())
    return Health.model_validate({**asdict(state), "recent_attempts": attempts, "failure_rate": rate})


def _shown(endpoint: ExportEndpoint, state: EndpointHealth | None = None) -> Endpoint:
    if state is None:
        state = health_records().read([key_of(endpoint)])[key_of(endpoint)]
    return Endpoint.model_validate({**asdict(endpoint), "health": _health(state)})


def _base_url() -> str:
    return api_base_url(GatewayRequest.of(router.current_event.raw_event))


def _api_host() -> str:
    """Where the caller reached this API: no endpoint may be there."""
    return api_host(GatewayRequest.of(router.current_event.raw_event))


def _with_secret(endpoint: ExportEndpoint) -> EndpointWithSecret:
    return EndpointWithSecret.model_validate(_shown(endpoint).model_dump() | {"secret": endpoint.secret})


@router.post(
    "/admin/endpoints",
    summary="Create an export endpoint; the answer shows its signing secret",
    responses={201: {"description": "The new endpoint, with its secret"}},
)
def create_endpoint(new: NewEndpoint) -> tuple[EndpointWithSecret, int]:
    created = export_endpoints.create_endpoint(
        account_id(router),
        new.url,
        new.activities,
        new.active,
        _base_url(),
        new.owner_email,
        new.max_concurrency,
        new.max_per_second,
        _api_host(),
    )
    return _with_secret(created), 201


@router.get("/admin/endpoints", summary="The account's export endpoints, with their health")
def list_endpoints() -> list[Endpoint]:
    endpoints = export_endpoint_records().export_endpoints(account_id(router))
    states = health_records().read(key_of(endpoint) for endpoint in endpoints)
    return [_shown(endpoint, states[key_of(endpoint)]) for endpoint in endpoints]


@router.get("/admin/endpoints/<endpoint_id>", summary="One export endpoint, with its health")
def read_endpoint(endpoint_id: str) -> Endpoint:
    return _shown(export_endpoints.export_endpoint(account_id(router), endpoint_id))


@router.patch(
    "/admin/endpoints/<endpoint_id>",
    summary="Change an export endpoint's URL, kinds, switch, owner email or limits",
)
def update_endpoint(endpoint_id: str, changes: EndpointChanges) -> Endpoint:
    given = {name: getattr(changes, name) for name in changes.model_fields_set}
    updated = export_endpoints.update_endpoint(
        account_id(router), endpoint_id, given, _base_url(), _api_host()
    )
    return _shown(updated)


@router.post(
    "/admin/endpoints/<endpoint_id>/recover",
    summary="Switch an export endpoint on again, and send again what failed since a time",
    description="Its health starts afresh; every delivery of it that failed at `since` or later (test "
    "events aside) is queued again, with its webhook-id, for a new round of attempts; and every delivery "
    "parked while its circuit breaker was open is queued.",
    responses={202: {"description": "Queued"}},
)
def recover(endpoint_id: str, recovery: Recovery) -> tuple[Recovered, int]:
    endpoint, queued = export_endpoints.recover(account_id(router), endpoint_id, recovery.since)
    return Recovered(endpoint=_shown(endpoint), queued=queued), 202


@router.delete(
    "/admin/endpoints/<endpoint_id>",
    summary="Delete an export endpoint; what is queued for it is dropped",
    responses={204: {"description": "Deleted"}},
)
def delete_endpoint(endpoint_id: str) -> Response[None]:
    export_endpoints.delete_endpoint(account_id(router), endpoint_id)
    return Response(204)


@router.post(
    "/admin/endpoints/<endpoint_id>/rotate-secret",
    summary="Give an export endpoint a new signing secret, which signs from its next delivery on",
    description="For 24 hours the secret it replaces signs each delivery too, beside it (two signatures in "
    "webhook-signature): deliveries verify with either while its receiver changes over.",
)
def rotate_secret(endpoint_id: str) -> RotatedEndpoint:
    rotated = export_endpoints.rotate_secret(account_id(router), endpoint_id)
    return RotatedEndpoint.model_validate(
        _with_secret(rotated).model_dump()
        | {"previous_secret_valid_until": rotated.previous_secret_expires_at}
    )


@router.post(
    "/admin/endpoints/<endpoint_id>/test",
    summary="POST a test event to an export endpoint now; the receiver's answer",
    description='A signed activity in the published format, marked with "test": true, action_id 0 and the '
    "address test@example.com, of the first kind the endpoint ticks; logged in the delivery log.",
)
def send_test_event(endpoint_id: str) -> SentTestEvent:
    sent = export_endpoints.send_test_event(account_id(router), endpoint_id, _api_host())
    [attempt] = sent.attempts
    return SentTestEvent(
        delivery_id=sent.webhook_id,
        status=attempt.status_code,
        latency_ms=attempt.latency_ms,
        error=attempt.error,
    )


@router.get(
    "/admin/endpoints/<endpoint_id>/deliveries",
    summary="A page of an export endpoint's deliveries in one status, newest first",
)
def list_deliveries(
    endpoint_id: str,
    status: Annotated[DeliveryStatus, Query()],
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DeliveryPage:
    deliveries, next_cursor = export_endpoints.endpoint_deliveries(
        account_id(router), endpoint_id, status, cursor, limit
    )
    return DeliveryPage(deliveries=[_logged(delivery) for delivery in deliveries], next_cursor=next_cursor)


@router.get("/admin/deliveries/<delivery_id>", summary="One delivery, with its attempts")
def read_delivery(delivery_id: str) -> LoggedDelivery:
    return _logged(export_endpoints.delivery(account_id(router), delivery_id))


@router.post(
    "/admin/deliveries/<delivery_id>/retry",
    summary="Send a delivered or failed delivery again, with the same webhook-id",
    responses={202: {"description": "Queued: the delivery, pending"}},
)
def retry_delivery(delivery_id: str) -> tuple[LoggedDelivery, int]:
    return _logged(export_endpoints.retry_delivery(account_id(router), delivery_id)), 202
