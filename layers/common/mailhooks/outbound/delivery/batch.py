"""Delivering one SQS batch of the delivery queue, all at once."""

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict, replace

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.errors import InvalidInput
from mailhooks.outbound.delivery.http import BATCH_SIZE, MAX_ERROR_LENGTH, timed_attempt
from mailhooks.outbound.delivery.outcomes import STATUS, Outcome, QueuedMessage, Result
from mailhooks.outbound.delivery.retries import retry_wait
from mailhooks.outbound.delivery.settle import settle, unparked, write_parked
from mailhooks.outbound.delivery_message import DeliveryMessage, NotADeliveryMessage
from mailhooks.outbound.endpoint_health.breaker import (
    GONE,
    LEASE,
    SLOW_DOWN,
    Admission,
    Answered,
    Gate,
    gates,
    report,
)
from mailhooks.outbound.endpoint_health.throttle import throttle, throttle_wait
from mailhooks.store.delivery_log import Delivery, DeliveryAttempt, DeliveryLog, Unclaimable, delivery_log
from mailhooks.store.keys import EndpointKey

logger = Logger(child=True)

# The threads that POST a batch's messages at once, kept, like the session, for the container's life: one
# pool per thread that invokes deliver_batch, which Lambda does from one thread per container.
_invoker = threading.local()


def _workers() -> ThreadPoolExecutor:
    pool: ThreadPoolExecutor | None = getattr(_invoker, "workers", None)
    if pool is None:
        pool = _invoker.workers = ThreadPoolExecutor(max_workers=BATCH_SIZE, thread_name_prefix="delivery")
    return pool


def _unclaimable(queued: QueuedMessage, message: DeliveryMessage, why: Unclaimable) -> Outcome:
    if why == "delivered":
        return Outcome(queued, Result.DUPLICATE, message)
    error = "another copy of this delivery is being attempted"
    return Outcome(queued, Result.RETRYING, message, error=error, wait=int(LEASE.total_seconds()))


def _claim(log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage) -> Delivery | Outcome:
    """The delivery to attempt: as its earlier attempts left it, its lease taken; at a first receipt, new and
    without a lease. Or the outcome of a copy that must not be attempted now."""
    at = clock.now()
    delivery = Delivery(**asdict(message), created_at=at, updated_at=at)
    if queued.first_receipt:
        # No lease, which would cost a write more: its delivery was not logged when the batch began (one
        # that was is not a first receipt), so only a copy of the message received at the same moment can
        # be attempting it too. Both POSTs carry the same webhook-id header (signing.signed_headers), on
        # which receivers deduplicate; and only one of them is logged (_logged).
        return delivery
    # A message received before was most likely logged at its first receipt.
    claimed = log.claim(delivery, LEASE, seen=queued.attempt > 1 or queued.logged)
    return _unclaimable(queued, message, claimed) if isinstance(claimed, str) else claimed


def _logged(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage,
    delivery: Delivery,
    attempt: DeliveryAttempt | None = None,
) -> Outcome | None:
    """Log the delivery as its attempt (or its being settled unsent) left it, which gives its lease back;
    at a first receipt, only where nothing of it is logged: None, or the outcome of a first receipt whose
    delivery another copy of the message logged first."""
    if not queued.first_receipt:
        log.record(delivery, attempt)
        return None
    written = log.first(delivery, attempt)
    return _unclaimable(queued, message, written) if isinstance(written, str) else None


def _conclude(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage,
    claimed: Delivery,
    attempt: DeliveryAttempt,
    result: Result,
    wait: int | None = None,
) -> Outcome:
    """Log the attempt, and the delivery as it leaves it."""
    after = replace(
        claimed,
        status=STATUS[result],
        attempt_count=attempt.number,
        last_status_code=attempt.status_code,
        last_error=attempt.error,
        updated_at=clock.now(),
    )
    unlogged = _logged(log, queued, message, after, attempt)
    return unlogged or Outcome(
        queued, result, message, attempt.status_code, attempt.error, wait, attempts=attempt.number
    )


def _retried(
    claimed: Delivery, attempt: DeliveryAttempt, retry_after: float | None, retrying: Result
) -> tuple[Result, int | None]:
    """`retrying` and the wait before the next attempt; or FAILED after the last attempt of the round."""
    wait = retry_wait(attempt.number - claimed.round_start, retry_after)
    return (Result.FAILED, None) if wait is None else (retrying, wait)


def _unsendable(
    log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage, gate: Gate | None
) -> Outcome:
    """A message whose endpoint was deleted or switched off is dropped; one whose endpoint was disabled for
    failing is failed, unsent, to be recovered with the others."""
    claimed = _claim(log, queued, message)
    if isinstance(claimed, Outcome):
        return claimed
    if gate is not None and gate.disabled:
        reason = f"not sent: the endpoint was disabled, as {gate.health.disabled_reason}"
        result = Result.FAILED
    else:
        reason = "the endpoint was deleted" if gate is None else "the endpoint is switched off"
        result = Result.DROPPED
    settled = replace(claimed, status=STATUS[result], last_error=reason, updated_at=clock.now())
    unlogged = _logged(log, queued, message, settled)
    return unlogged or Outcome(queued, result, message, error=reason, attempts=claimed.attempt_count)


def _park(queued: QueuedMessage, message: DeliveryMessage, gate: Gate) -> Outcome:
    """A message not sent, its endpoint's breaker being open: parked with the batch's others to its endpoint
    (_write_parked), costing no attempt, and off the queue, where it would take a healthy delivery's place."""
    gate.park(message)
    after = gate.health.last_error or "failures"
    reason = f"not sent: the endpoint's circuit breaker is open, after {after}"[:MAX_ERROR_LENGTH]
    return Outcome(queued, Result.PARKED, message, error=reason)


def _attempt(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage,
    gate: Gate,
    probe: bool,
    decided: threading.Event,
) -> Outcome:
    claimed = _claim(log, queued, message)
    if isinstance(claimed, Outcome):
        return claimed
    number = claimed.attempt_count + 1
    try:
        attempt, answer = timed_attempt(gate.endpoint, message, number)
    except InvalidInput as refusal:
        error = f"refused, nothing sent: {refusal.message}"
        attempt = DeliveryAttempt(number=number, at=clock.now(), error=error, latency_ms=0)
        return _conclude(log, queued, message, claimed, attempt, Result.ABORTED)
    if answer.error is None:
        result, wait = Result.DELIVERED, None
    elif answer.abort:
        result, wait = Result.ABORTED, None
    elif answer.status_code == GONE:
        result, wait = Result.FAILED, None
    else:
        result, wait = _retried(claimed, attempt, answer.retry_after, Result.RETRYING)
    # A receiver that asks for fewer requests gets none until this message's own next try.
    hold = (wait or math.ceil(answer.retry_after or 0)) if answer.status_code in SLOW_DOWN else None
    gate.answered(
        Answered(
            status_code=answer.status_code,
            ok=answer.error is None or answer.abort,
            error=answer.error,
            hold=hold,
            probe=probe,
        )
    )
    decided.set()
    return _conclude(log, queued, message, claimed, attempt, result, wait)


def _deliver(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage,
    gate: Gate | None,
    decided: threading.Event,
) -> Outcome:
    if gate is None or gate.disabled or not gate.endpoint.active:
        return _unsendable(log, queued, message, gate)
    admission = gate.admit()
    if admission is Admission.PARK:
        return _park(queued, message, gate)
    with throttle(gate.endpoint) as admitted:
        if not admitted:
            return Outcome(queued, Result.THROTTLED, message, wait=throttle_wait(queued.throttle_waits))
        return _attempt(log, queued, message, gate, admission is Admission.PROBE, decided)


def _deliver_one(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage | NotADeliveryMessage,
    gates: dict[EndpointKey, Gate],
    decided: threading.Event,
) -> Outcome:
    """The message's outcome, once delivered and logged. `decided` is set once what the message did to its
    endpoint's gate is known (its answer, its parking), which may be before its log is written."""
    try:
        return _outcome(log, queued, message, gates, decided)
    finally:
        decided.set()


def _outcome(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage | NotADeliveryMessage,
    gates: dict[EndpointKey, Gate],
    decided: threading.Event,
) -> Outcome:
    if isinstance(message, NotADeliveryMessage):
        return Outcome(queued, Result.FAILED, error=f"not a delivery message: {message}"[:MAX_ERROR_LENGTH])
    try:
        return _deliver(log, queued, message, gates.get((message.account_id, message.endpoint_id)), decided)
    except Exception:
        # One message's trouble (a throttled table, say) must not fail the others of its batch.
        logger.exception("delivery could not be attempted", extra={"webhook_id": message.webhook_id})
        return Outcome(queued, Result.ERROR, message)


def _parsed(body: str) -> DeliveryMessage | NotADeliveryMessage:
    try:
        return DeliveryMessage.of(body)
    except NotADeliveryMessage as error:
        return error


def _log(outcome: Outcome) -> None:
    details = {
        "message_id": outcome.queued.message_id,
        "attempt": outcome.queued.attempt,
        "status_code": outcome.status_code,
        "error": outcome.error,
        "wait_seconds": outcome.wait,
    }
    if outcome.message is not None:
        details.update(webhook_id=outcome.message.webhook_id, endpoint_id=outcome.message.endpoint_id)
    text = f"delivery {outcome.result}"
    if outcome.result in (Result.FAILED, Result.ABORTED, Result.ERROR):
        logger.warning(text, extra=details)
    else:
        logger.info(text, extra=details)


def deliver_batch(batch: Sequence[QueuedMessage]) -> list[Outcome]:
    """Deliver the messages of one SQS batch, all at once: the outcome of each, in order. Those that are
    `redelivered` are the batch's item failures."""
    messages = [_parsed(queued.body) for queued in batch]
    keys = [
        (message.account_id, message.endpoint_id)
        for message in messages
        if isinstance(message, DeliveryMessage)
    ]
    log = delivery_log()
    # Which fan-out messages at their first receipt are copies of a delivery logged already (a late copy of
    # one delivered, say), read beside the endpoints: those take the lease, and one delivered is not sent.
    firsts = [
        (message.account_id, message.webhook_id)
        for queued, message in zip(batch, messages, strict=True)
        if queued.first_receipt and isinstance(message, DeliveryMessage)
    ]
    reading = _workers().submit(log.logged, firsts) if firsts else None
    # Read once per endpoint, when the message is delivered: what its owner saved applies to queued ones.
    endpoint_gates = gates(keys, clock.now())
    if reading is not None:
        found = reading.result()
        batch = [
            replace(queued, logged=True)
            if isinstance(message, DeliveryMessage) and (message.account_id, message.webhook_id) in found
            else queued
            for queued, message in zip(batch, messages, strict=True)
        ]
    pool = _workers()
    decided = [threading.Event() for _ in batch]
    attempts = [
        pool.submit(_deliver_one, log, queued, message, endpoint_gates, each)
        for queued, message, each in zip(batch, messages, decided, strict=True)
    ]
    # The endpoints' health is reported once every answer is in, beside the last attempts' log writes
    # rather than after them: a round trip less for the batch. The parked are written first, so that a
    # breaker the batch closes releases them with the others.
    for each in decided:
        each.wait()
    unwritten = write_parked(endpoint_gates)
    report(endpoint_gates.values())
    # All done before the invocation ends, even where one died: none is left POSTing past it, into a later
    # invocation of the frozen container or beside the copies of its batch that come back.
    wait(attempts)
    outcomes = settle(unparked([attempt.result() for attempt in attempts], unwritten))
    for outcome in outcomes:
        _log(outcome)
    return outcomes
