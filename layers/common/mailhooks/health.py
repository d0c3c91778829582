"""Endpoint health: a failing receiver never slows the healthy ones, a small receiver is never sent more
than it asks for, and one that keeps failing is switched off, its owner told.

- Each batch of the deliver function reads the health of its endpoints once, and reports what their
  receivers answered once per endpoint: counts ADDed in time buckets, so that any number of batches report
  at once without a lost count.
- The circuit breaker: when at least breaker_failure_rate of at least breaker_min_attempts attempts in the
  last breaker_window_seconds failed, it opens. An open endpoint's deliveries are not POSTed and cost no
  delivery time: they are parked (mailhooks.parking), costing no attempt of their retry schedule. After
  the wait, one message (a conditional write elects it) is the probe: its success closes the breaker and
  queues the parked deliveries again, its failure makes the next wait. An endpoint that stays dead is
  disabled by the review below; what it parked stays recoverable.
- Receiver signals: 410 Gone disables the endpoint at once. 429, 502, 503 and 504 hold the whole endpoint
  back (its breaker open) for as long as the message they answered waits: its Retry-After, and at least
  its next retry's wait, so that holds grow as they go on. The answer header webhook-delivery:
  abort-message ends that message's retries (mailhooks.delivery); a deliberate answer, it counts as a
  success here.
- The throttle, set by the endpoint's owner: at most max_concurrency requests at once, each holding a
  leased slot (so that an invocation that died does not hold one for ever), and max_per_second, counted
  per second. A message over it waits on the queue instead of failing.
- The scheduled review queues the probe of an open endpoint whose wait is over when no new delivery
  comes to be it: its oldest parked one.
- Auto-disable: the scheduled review warns the endpoint's owner once it has only failed for
  endpoint_warn_after_seconds, and disables it at endpoint_disable_after_seconds, telling the owner again.
  The mails go to the endpoint's owner_email: the people who run a receiver are not always the account's.
"""

import html
import math
import random
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger

from mailhooks.aws import aws
from mailhooks.delivery_message import DeliveryMessage
from mailhooks.errors import UpstreamFailure
from mailhooks.mail import send_mail
from mailhooks.models import ExportEndpoint, utcnow
from mailhooks.parking import probe, unpark
from mailhooks.settings import settings
from mailhooks.store import EndpointHealth, EndpointKey, Report, health_records, store

logger = Logger(child=True)

# Longer than the deliver function's timeout: a lease (of a delivery, a probe or a throttle slot) never runs
# out while the POST it is for may still be under way.
LEASE = timedelta(seconds=60)
# Answers that ask for fewer requests: they hold the whole endpoint back while their message waits.
SLOW_DOWN = frozenset({429, 502, 503, 504})
GONE = 410
# The longest a message waits on the queue before a retry, and any receiver can hold its endpoint back:
# SQS's longest visibility timeout, 12 hours counted from the message's receipt, less time for the batch
# that sets it (a wait set later than that is refused).
MAX_HOLD_SECONDS = 12 * 3600 - 300
# SQS's longest delay of a new message: the longest a copy (a throttled message, say) waits.
MAX_DELAY_SECONDS = 900
BUCKETS_PER_WINDOW = 10
JITTER = 0.2


def now() -> datetime:
    """The clock of deliveries and of endpoint health; the tests move it across the breaker's and the
    auto-disable's spans."""
    return utcnow()


def key_of(endpoint: ExportEndpoint) -> EndpointKey:
    return endpoint.account_id, endpoint.id


def _window() -> timedelta:
    return timedelta(seconds=settings().breaker_window_seconds)


def failure_rate(health: EndpointHealth, at: datetime) -> tuple[int, float | None]:
    """The attempts within the breaker's window, and the share of them that failed (None without any)."""
    attempts, failures = health.recent(at - _window())
    return attempts, failures / attempts if attempts else None


# The breaker, as one batch sees it


class Admission(StrEnum):
    SEND = "send"
    # Sent, as the one probe of an open breaker.
    PROBE = "probe"
    # Not sent: parked until the breaker closes.
    PARK = "park"


@dataclass(frozen=True)
class Answered:
    status_code: int | None
    # Delivered, or deliberately refused (abort-message).
    ok: bool
    error: str | None
    # Seconds the receiver asked for the endpoint to be held back (after a 429, 502, 503 or 504).
    hold: int | None
    probe: bool


@dataclass
class Gate:
    """One endpoint's health as one batch read it: what each of the batch's messages to it may do, and what
    its receiver answered them."""

    endpoint: ExportEndpoint
    health: EndpointHealth
    at: datetime
    answers: list[Answered] = field(default_factory=list)
    # Whether the batch holds the endpoint's probe.
    probing: bool = False
    # The batch's messages parked, and whether its probe closed the breaker.
    parked: list[DeliveryMessage] = field(default_factory=list)
    closed: bool = False
    _asked: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def disabled(self) -> bool:
        return self.health.state == "disabled"

    def admit(self) -> Admission:
        if self.health.state != "open":
            return Admission.SEND
        # The first of the batch's messages to ask may be the probe; the others are parked in any case.
        with self._lock:
            if not self._asked:
                self._asked = True
                wait_over = self.health.open_until is None or self.health.open_until <= self.at
                if wait_over and health_records().claim_probe(
                    key_of(self.endpoint), self.at, self.at + LEASE
                ):
                    self.probing = True
                    return Admission.PROBE
        return Admission.PARK

    def park(self, message: DeliveryMessage) -> None:
        with self._lock:
            self.parked.append(message)

    def answered(self, answer: Answered) -> None:
        with self._lock:
            self.answers.append(answer)


def gates(endpoints: Mapping[EndpointKey, ExportEndpoint | None], at: datetime) -> dict[EndpointKey, Gate]:
    """The gate of each endpoint that exists, its health read once."""
    present = {key: endpoint for key, endpoint in endpoints.items() if endpoint is not None}
    health = health_records().read(present)
    return {key: Gate(endpoint, health[key], at) for key, endpoint in present.items()}


def report(batch_gates: Iterable[Gate]) -> None:
    """Count what each endpoint's receiver answered the batch, and act on it: open, close or disable; and
    once the breaker is closed, queue the next page of the deliveries parked meanwhile."""
    for gate in batch_gates:
        try:
            _report(gate)
            if (parked_at := parked_since(gate)) is not None:
                unpark(key_of(gate.endpoint), parked_at, gate.at)
        except Exception:
            # The deliveries themselves are done and logged: health catches up with the next batch.
            logger.exception("endpoint health could not be reported", extra={"endpoint_id": gate.endpoint.id})


def _report(gate: Gate) -> None:
    key, at, limits = key_of(gate.endpoint), gate.at, settings()
    records = health_records()
    answers = gate.answers
    if not answers:
        if gate.probing:  # its message was not sent after all (throttled, or delivered already)
            records.release_probe(key)
        return
    failed = [answer for answer in answers if not answer.ok]
    bucket_seconds = max(1, limits.breaker_window_seconds // BUCKETS_PER_WINDOW)
    window_start = (at - _window()).timestamp() - bucket_seconds
    health = records.report(
        key,
        at,
        Report(len(answers), len(failed), failed[-1].error if failed else None),
        bucket_seconds,
        [start for start in gate.health.attempts if start <= window_start],
    )
    if any(answer.status_code == GONE for answer in answers):
        disable(gate.endpoint, f"its receiver answered {GONE} Gone", at)
        return
    probe = next((answer for answer in answers if answer.probe), None)
    if probe is not None and probe.ok:
        if records.close(key, at, health.attempts):
            gate.closed = True
            logger.info("circuit breaker closed", extra={"endpoint_id": gate.endpoint.id})
        return
    holds = [answer.hold for answer in failed if answer.hold]
    attempts, rate = failure_rate(health, at)
    if probe is not None or (
        health.state == "healthy"
        and attempts >= limits.breaker_min_attempts
        and rate is not None
        and rate >= limits.breaker_failure_rate
    ):
        holds.append(limits.breaker_open_seconds)
    if holds:
        until = at + timedelta(seconds=min(MAX_HOLD_SECONDS, max(holds)))
        if records.open(key, at, until):
            logger.warning(
                "circuit breaker opened",
                extra={"endpoint_id": gate.endpoint.id, "until": until.isoformat(), "failure_rate": rate},
            )


def parked_since(gate: Gate) -> datetime | None:
    """When the batch's endpoint last had a delivery parked, if its breaker is closed and what was parked is
    yet to be queued again."""
    parked_at = gate.at if gate.parked else gate.health.parked_at
    closed = gate.closed or gate.health.state == "healthy"
    return parked_at if closed and gate.endpoint.active else None


def breaker_open(keys: Iterable[EndpointKey], at: datetime) -> set[EndpointKey]:
    """The endpoints whose breaker is open, its wait not over: their new deliveries are parked. Those
    whose wait is over are queued, the first to be the probe."""
    return {
        key
        for key, health in health_records().read(keys).items()
        if health.state == "open" and health.open_until is not None and health.open_until > at
    }


# The throttle


@contextmanager
def throttle(endpoint: ExportEndpoint) -> Iterator[bool]:
    """Whether the endpoint's throttle lets one more request go now; a slot of its requests at once is held
    until leaving."""
    key, at, records = key_of(endpoint), now(), health_records()
    token = secrets.token_hex(8) if endpoint.max_concurrency is not None else None
    if token is not None and not records.take_slot(key, token, at, at + LEASE, endpoint.max_concurrency or 0):
        yield False
        return
    try:
        yield endpoint.max_per_second is None or records.take_second(key, at, endpoint.max_per_second)
    finally:
        if token is not None:
            records.give_slot(key, token)


def throttle_wait(waits: int) -> int:
    """Seconds a message over its endpoint's throttle waits, after `waits` waits before: doubled with each,
    so that a long backlog is not received again and again for nothing."""
    spread = random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (spreads waits out; guards nothing)
    wait = settings().throttle_wait_seconds * 2.0 ** min(waits, 10) * spread
    return min(MAX_DELAY_SECONDS, math.ceil(wait))


# Auto-disable, and telling the owner


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _tell_owner(endpoint: ExportEndpoint, subject: str, paragraphs: list[str]) -> None:
    if not endpoint.owner_email:
        logger.warning("the endpoint has no owner email to tell", extra={"endpoint_id": endpoint.id})
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
        current = store().get_export_endpoint(*key)
        if current is None or not current.active:
            break
        switched_off = current.model_copy(update={"active": False, "updated_at": at})
        if store().replace_export_endpoint(switched_off, current.updated_at):
            break
    logger.warning("endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": reason})
    url = html.escape(endpoint.url)
    _tell_owner(
        endpoint,
        f"Webhook endpoint disabled: {endpoint.url}",
        [
            f"Your webhook endpoint <b>{url}</b> was disabled on {_when(at)}: {html.escape(reason)}. "
            "Nothing is sent to it until it is switched on again.",
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
            f"Webhook endpoint failing: {endpoint.url}",
            [
                f"Every delivery to your webhook endpoint <b>{html.escape(endpoint.url)}</b> has failed "
                f"since {_when(since)}. The last error: {html.escape(health.last_error or 'unknown')}.",
                f"Unless a delivery succeeds before {_when(disabled_at)}, it will then be disabled.",
                _recovery(endpoint),
            ],
        )
    except UpstreamFailure:
        health_records().release_warning(key)
        raise


def review(at: datetime) -> None:
    """Warn the owners of the endpoints that have only failed for the warning span, disable those that have
    for the disabling span, and probe those whose breaker's wait is over and whose deliveries are parked:
    what the scheduled review runs."""
    limits = settings()
    warn_cutoff = at - timedelta(seconds=limits.endpoint_warn_after_seconds)
    disable_cutoff = at - timedelta(seconds=limits.endpoint_disable_after_seconds)
    for key, health in health_records().failing_since_before(at):
        since = health.failing_since
        if health.state == "disabled":
            continue
        try:
            endpoint = store().get_export_endpoint(*key)
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
