"""Parked deliveries, and queuing deliveries again.

While an endpoint's circuit breaker is open, its new deliveries are parked: written to the delivery log,
unsent, instead of the queue (by the fan-out, and by the deliver function for those it receives). The queue
then carries only messages that can be sent, so a dead receiver costs the healthy ones no batch's place,
and its backlog never floods the queue when the breaker's wait is over. After the wait the next message to
the endpoint is its probe: a new one, or, when none comes, the oldest parked one, which the scheduled review
queues. The probe's success closes the breaker, and the deliveries parked meanwhile are queued again, a page
at a time, by each batch that finds the endpoint healthy with deliveries parked.

Queuing a delivery again (a parked one, or one its owner sends again) marks it pending in the log before its
message is queued, so that a second call does not queue it twice.
"""

from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING

from mailhooks.aws import aws, upstream
from mailhooks.delivery_message import SQS_BATCH, DeliveryMessage
from mailhooks.errors import UpstreamFailure
from mailhooks.settings import settings
from mailhooks.store import Delivery, EndpointKey, delivery_log, health_records

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

# The parked deliveries one batch queues again: enough to keep the endpoint's messages coming, few enough
# that the batch's own deliveries are not kept waiting.
PAGE = 50
_EVER = datetime.min.replace(tzinfo=UTC)


def _queue(deliveries: list[Delivery]) -> tuple[set[int], str | None]:
    """Queue the deliveries' messages at once: the indexes of those the queue refused, and why."""
    entries: list[SendMessageBatchRequestEntryTypeDef] = [
        {
            "Id": str(index),
            "MessageBody": DeliveryMessage.model_validate(
                found.model_dump(include=set(DeliveryMessage.model_fields))
            ).model_dump_json(),
        }
        for index, found in enumerate(deliveries)
    ]
    try:
        with upstream("Amazon SQS"):
            answer = aws().sqs.send_message_batch(QueueUrl=settings().delivery_queue_url, Entries=entries)
    except UpstreamFailure as failure:
        return set(range(len(deliveries))), failure.message
    failures = answer.get("Failed", [])
    if not failures:
        return set(), None
    why = failures[0].get("Message") or failures[0]["Code"]
    return {int(failure["Id"]) for failure in failures}, f"Amazon SQS failed: {why}"


def requeue(deliveries: list[Delivery], at: datetime) -> list[Delivery]:
    """Mark each delivery, as it was read, pending again and queue its message: the deliveries queued, each
    as it now stands. One that changed since it was read is left out. When the queue refuses, what is not
    queued is put back as it was and UpstreamFailure raised: what was queued is pending, so that a second
    call does not queue it again."""
    log = delivery_log()
    reopened = [(found, again) for found in deliveries if (again := log.reopen(found, at)) is not None]
    queued: list[Delivery] = []
    for start in range(0, len(reopened), SQS_BATCH):
        batch = reopened[start : start + SQS_BATCH]
        refused, why = _queue([again for _, again in batch])
        queued += [again for index, (_, again) in enumerate(batch) if index not in refused]
        if why is not None:
            unqueued = [pair for index, pair in enumerate(batch) if index in refused]
            for found, _ in unqueued + reopened[start + SQS_BATCH :]:
                log.record(found)
            raise UpstreamFailure(why)
    return queued


def _oldest_parked(key: EndpointKey, count: int) -> list[Delivery]:
    return list(islice(delivery_log().settled_since(*key, "parked", _EVER, page_size=count), count))


def unpark(key: EndpointKey, parked_at: datetime, at: datetime) -> int:
    """Queue the next page of the endpoint's parked deliveries, its breaker being closed, and note when none
    is left (unless another was parked after `parked_at`): how many were queued."""
    page = _oldest_parked(key, PAGE)
    last = len(page) < PAGE and health_records().unparked(key, parked_at)
    try:
        return len(requeue(page, at))
    except UpstreamFailure:
        if last:
            health_records().note_parked(key, parked_at)
        raise


def probe(key: EndpointKey, at: datetime) -> bool:
    """Queue the endpoint's oldest parked delivery, to be its breaker's probe: whether there was one."""
    return bool(requeue(_oldest_parked(key, 1), at))
