"""The scheduled review: auto-disable, warning the owner, the probe of a quiet endpoint, and giving up the
deliveries parked for too long."""

import html
from dataclasses import replace
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from mailhooks.aws import aws
from mailhooks.errors import UpstreamFailure
from mailhooks.models import ExportEndpoint
from mailhooks.outbound.parking import give_up_expired, probe
from mailhooks.sending.mail import send_mail
from mailhooks.settings import settings
from mailhooks.store.endpoint_health import EndpointHealth, health_records
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.keys import key_of

logger = Logger(child=True)


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _tell_owner(endpoint: ExportEndpoint, subject: str, paragraphs: list[str]) -> None:
    """Mail the endpoint's owner what the platform itself knows of the endpoint, once its owner email is
    confirmed (outbound.owner_emails). Never what its receiver answered: a receiver's words in a mail from
    the platform's domain would be a phisher's gift."""
    if not endpoint.owner_email:
        logger.warning("the endpoint has no owner email to tell", extra={"endpoint_id": endpoint.id})
        return
    if not endpoint.owner_email_confirmed:
        # The address is not logged: the log is no place for an address its reader never vouched for.
        logger.warning(
            "the endpoint's owner email is not confirmed: not told", extra={"endpoint_id": endpoint.id}
        )
        return
    send_mail(
        aws(),
        settings(),
        sender=settings().sender_email,
        to=endpoint.owner_email,
        subject=subject,
        html="".join(f"<p>{paragraph}</p>" for paragraph in paragraphs),
        tags={"account": str(endpoint.account_id), "endpoint": endpoint.id},
    )


def _named(endpoint: ExportEndpoint) -> str:
    return f"<b>{html.escape(endpoint.id)}</b> ({html.escape(endpoint.url)})"


def _where_to_look(endpoint: ExportEndpoint) -> str:
    return (
        f"What its receiver answered is in its delivery log: GET /admin/endpoints/{html.escape(endpoint.id)}"
        "/deliveries lists its deliveries, and GET /admin/deliveries/&lt;id&gt; shows each one's attempts."
    )


def _recovery(endpoint: ExportEndpoint) -> str:
    return (
        "Its failed deliveries are kept for 30 days: once it works again, POST "
        f'/admin/endpoints/{html.escape(endpoint.id)}/recover with {{"since": "&lt;time&gt;"}} switches it '
        "on and sends again every delivery that failed since then."
    )


def disable(endpoint: ExportEndpoint, reason: str, at: datetime) -> None:
    """Switch the endpoint off for failing, and tell its owner. What is still queued for it is logged as
    failed, unsent, and stays recoverable."""
    key = key_of(endpoint)
    if not health_records().disable(key, at, reason):
        return
    for _ in range(3):
        current = export_endpoint_records().get_export_endpoint(*key)
        if current is None or not current.active:
            break
        switched_off = replace(current, active=False, updated_at=at)
        if export_endpoint_records().replace_export_endpoint(switched_off, current.updated_at):
            break
    logger.warning("endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": reason})
    _tell_owner(
        endpoint,
        f"Webhook endpoint {endpoint.id} disabled",
        [
            f"Your webhook endpoint {_named(endpoint)} was disabled on {_when(at)}, as "
            f"{html.escape(reason)}. Nothing is sent to it until it is switched on again.",
            _where_to_look(endpoint),
            _recovery(endpoint),
        ],
    )


def _warn(endpoint: ExportEndpoint, health: EndpointHealth, since: datetime, at: datetime) -> None:
    key = key_of(endpoint)
    if not health_records().claim_warning(key, since, at):
        return
    disabled_at = since + timedelta(seconds=settings().endpoint_disable_after_seconds)
    try:
        _tell_owner(
            endpoint,
            f"Webhook endpoint {endpoint.id} failing",
            [
                f"Every delivery to your webhook endpoint {_named(endpoint)} has failed since "
                f"{_when(since)}: {health.consecutive_failures} failed attempts in a row.",
                f"Unless a delivery succeeds before {_when(disabled_at)}, it will then be disabled.",
                _where_to_look(endpoint),
                _recovery(endpoint),
            ],
        )
    except UpstreamFailure:
        health_records().release_warning(key)
        raise


def review(at: datetime) -> None:
    """Warn the owners of the endpoints that have only failed for the warning span, disable those that have
    for the disabling span, and probe those whose breaker's wait is over and whose deliveries are parked:
    what the scheduled review runs. Then give up the deliveries parked for as long as the log keeps them."""
    limits = settings()
    warn_cutoff = at - timedelta(seconds=limits.endpoint_warn_after_seconds)
    disable_cutoff = at - timedelta(seconds=limits.endpoint_disable_after_seconds)
    for key, health in health_records().failing_since_before(at):
        since = health.failing_since
        if health.state == "disabled":
            continue
        try:
            endpoint = export_endpoint_records().get_export_endpoint(*key)
            if endpoint is None:
                health_records().forget(key)
            elif not endpoint.active:
                continue  # switched off by its owner: nothing is sent to it, nothing to warn of
            elif since is not None and since <= disable_cutoff:
                disable(endpoint, f"it has only failed since {_when(since)}", at)
            elif since is not None and since <= warn_cutoff and health.warned_at is None:
                _warn(endpoint, health, since, at)
            elif health.state == "open" and health.parked_at and (health.open_until or at) <= at:
                probe(key, at)
        except Exception:
            logger.exception("endpoint could not be reviewed", extra={"endpoint_id": key[1]})
    try:
        give_up_expired(at)
    except Exception:
        logger.exception("parked deliveries could not be given up")
