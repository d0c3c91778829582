"""Parked deliveries, and queuing deliveries again.

While an endpoint's circuit breaker is open, its deliveries are parked instead of queued: by the fan-out
for new ones, and by the deliver function for those it receives, one write per endpoint and batch
(mailhooks.store.parking). The queue then carries only messages that can be sent, so a dead receiver costs
the healthy ones no batch's place, and its backlog never floods the queue when the breaker's wait is over.
After the wait the next message to the endpoint is its probe: a new one, or, when none comes, the oldest
parked one, which the scheduled review queues. The probe's success closes the breaker, and the deliveries
parked meanwhile are queued again, PAGE batches at a time, by each deliver batch that finds the endpoint
healthy with deliveries parked. A parked batch is leased while it is queued again: two invocations never
queue it both, and one that dies midway leaves it to the next (what it queued twice, the deliver function
deduplicates by webhook id).

A delivery parked for as long as the delivery log keeps deliveries (its endpoint disabled and never
recovered, say) is given up by the scheduled review, as one is after its last attempt: logged failed and
moved to the dead-letter queue, whence the operator can send it back.

Queuing a failed delivery again (its owner's retry, or a recovery) marks it pending in the log before its
message is queued, so that a second call does not queue it twice.
"""

from dataclasses import asdict, replace
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from aws_lambda_powertools import Logger

from mailhooks.errors import UpstreamFailure
from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.outbound.queue import dead_letter, send_messages
from mailhooks.settings import settings
from mailhooks.store.delivery_log import RETENTION, Delivery, DeliveryLog, delivery_log
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.keys import EndpointKey
from mailhooks.store.parking import ParkedBatch, parked_deliveries

logger = Logger(child=True)

# The parked batches one deliver batch queues again: enough to keep the endpoint's messages coming, few
# enough that the batch's own deliveries are not kept waiting.
PAGE = 2
# Longer than any invocation that queues a parked batch again (the deliver function's timeout).
LEASE = timedelta(seconds=60)
# Longer than the review's whole run (its function's timeout), in which batches are given up.
GIVING_UP_LEASE = timedelta(minutes=6)
EXPIRED = "expired while the endpoint's breaker was open"


def _send(bodies: list[str]) -> tuple[set[int], str | None]:
    return send_messages(settings().delivery_queue_url, [{"MessageBody": body} for body in bodies])


def requeue(deliveries: list[Delivery], at: datetime) -> list[Delivery]:
    """Mark each delivery, as it was read, pending again and queue its message: the deliveries queued, each
    as it now stands. One that changed since it was read is left out. When the queue refuses, what is not
    queued is put back as it was and UpstreamFailure raised: what was queued is pending, so that a second
    call does not queue it again."""
    log = delivery_log()
    reopened = [(found, again) for found in deliveries if (again := log.reopen(found, at)) is not None]
    bodies = [
        DeliveryMessage(
            webhook_id=again.webhook_id,
            account_id=again.account_id,
            endpoint_id=again.endpoint_id,
            activity_id=again.activity_id,
            payload=again.payload,
        ).queued()
        for _, again in reopened
    ]
    refused, why = _send(bodies)
    for index in sorted(refused):
        log.record(reopened[index][0])
    if why is not None:
        raise UpstreamFailure(why)
    return [again for index, (_, again) in enumerate(reopened) if index not in refused]


def park(endpoint: EndpointKey, messages: list[DeliveryMessage], at: datetime) -> None:
    """Park deliveries to an endpoint whose breaker is open, in one write (or as few as their size allows),
    and count them in its health."""
    parked_deliveries().park(endpoint, [message.queued() for message in messages], at)
    health_records().count_parked(endpoint, len(messages), at)


def _release(batch: ParkedBatch, count: int, at: datetime) -> int:
    """Queue the first `count` messages of a parked batch, leased: how many were queued. What the queue
    refuses stays parked, and UpstreamFailure is raised."""
    parked = parked_deliveries()
    if not parked.take(batch, at, LEASE):
        return 0
    refused, why = _send(batch.messages[:count])
    parked.keep(batch, [batch.messages[index] for index in sorted(refused)] + batch.messages[count:])
    queued = min(count, len(batch.messages)) - len(refused)
    if queued:
        health_records().count_parked(batch.endpoint, -queued)
    if why is not None:
        raise UpstreamFailure(why)
    return queued


def unpark(endpoint: EndpointKey, parked_at: datetime, at: datetime) -> int:
    """Queue the next PAGE parked batches of an endpoint whose breaker is closed, and note when none is left
    (unless more were parked after `parked_at`): how many deliveries were queued."""
    found = list(islice(parked_deliveries().batches(endpoint, page_size=PAGE + 1), PAGE + 1))
    released = [_release(batch, len(batch.messages), at) for batch in found[:PAGE]]
    # A batch another invocation holds is left to it: the next batch looks again.
    if len(found) <= PAGE and all(released):
        health_records().unparked(endpoint, parked_at)
    return sum(released)


def probe(endpoint: EndpointKey, at: datetime) -> bool:
    """Queue the endpoint's oldest parked delivery, to be its breaker's probe: whether there was one."""
    oldest = next(parked_deliveries().batches(endpoint, page_size=1), None)
    return oldest is not None and _release(oldest, 1, at) == 1


def release_all(endpoint: EndpointKey, at: datetime) -> int:
    """Queue every parked delivery of an endpoint switched on again: how many were queued."""
    return sum(_release(batch, len(batch.messages), at) for batch in parked_deliveries().batches(endpoint))


def _give_up(log: DeliveryLog, body: str, parked_at: datetime, at: datetime) -> dict[str, Any] | None:
    """Log the parked delivery failed: its dead-letter entry; None when another copy of it was delivered,
    or is being attempted, and so is no delivery to give up."""
    message = DeliveryMessage.of(body)
    claimed = log.claim(Delivery(**asdict(message), created_at=parked_at, updated_at=at), LEASE)
    if not isinstance(claimed, Delivery):
        return None
    log.record(replace(claimed, status="failed", last_error=EXPIRED, updated_at=at))
    return dead_letter(body, EXPIRED, claimed.attempt_count, at)


def give_up_expired(at: datetime) -> int:
    """Give up every delivery parked longer than the delivery log keeps deliveries: each is logged failed
    and moved to the dead-letter queue. How many were. What the queue refuses stays parked, logged failed,
    for the next review; and UpstreamFailure is raised."""
    parked, log = parked_deliveries(), delivery_log()
    given_up = 0
    for batch in parked.take_parked_before(at - RETENTION, at, GIVING_UP_LEASE):
        entries = [(body, _give_up(log, body, batch.parked_at, at)) for body in batch.messages]
        dead = [(body, entry) for body, entry in entries if entry is not None]
        refused, why = send_messages(settings().delivery_dead_letter_queue_url, [entry for _, entry in dead])
        parked.keep(batch, [dead[index][0] for index in sorted(refused)])
        health_records().count_parked(batch.endpoint, len(refused) - len(batch.messages))
        given_up += len(dead) - len(refused)
        logger.warning(
            "parked deliveries given up",
            extra={"endpoint_id": batch.endpoint[1], "given_up": len(dead) - len(refused), "reason": EXPIRED},
        )
        if why is not None:
            raise UpstreamFailure(why)
    return given_up
