"""The circuit breaker, as one delivery batch sees its endpoints, and receiver signals."""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools import Logger

from mailhooks.models import ExportEndpoint
from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.outbound.parking import unpark
from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings
from mailhooks.store.endpoint_health import EndpointHealth, Report, endpoints_with_health, health_records
from mailhooks.store.keys import EndpointKey, key_of

logger = Logger(child=True)

# Longer than the deliver function's timeout: a lease (of a delivery, a probe or a throttle slot) never runs
# out while the POST it is for may still be under way.
LEASE = timedelta(seconds=60)
# Answers that ask for fewer requests: they hold the whole endpoint back while their message waits.
SLOW_DOWN = frozenset({429, 502, 503, 504})
GONE = 410
BUCKETS_PER_WINDOW = 10


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


def gates(keys: Iterable[EndpointKey], at: datetime) -> dict[EndpointKey, Gate]:
    """The gate of each of these endpoints that exists: the endpoint and its health read at once."""
    return {
        key: Gate(endpoint, health, at) for key, (endpoint, health) in endpoints_with_health(keys).items()
    }


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
        # Imported here: the review's mails to owners are the rare 410's, not every delivery's cold start.
        from mailhooks.outbound.endpoint_health.review import disable

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
