"""What became of each message of a delivery batch."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.store.delivery_log import DeliveryStatus

# The message attribute that counts a message's waits for its endpoint's throttle.
THROTTLE_WAITS = "throttle_waits"
# The message attribute the fan-out puts on the messages it queues, each its delivery's first (but for the
# duplicates of a fan-out retried). Every other message of a delivery (a copy that waits, one parked and
# queued again, one sent again by its owner, a replay's) may find it logged already, and goes without it.
FANNED_OUT = "fanned_out"
# A message received this many times that must wait again waits as a new copy, whose receive count starts
# again: well below the delivery queue's maxReceiveCount (template.yaml), past which SQS would move it to
# the dead-letter queue unlogged. Waits that cost no attempt (for another copy, say) can add up to it.
RECEIVES_BEFORE_COPY = 10


@dataclass(frozen=True)
class QueuedMessage:
    """A message of the delivery queue, as one receipt of it hands it over."""

    message_id: str
    receipt_handle: str
    # Its receive count: 1 at the first attempt.
    attempt: int
    body: str
    # How many times it (as earlier copies) waited for its endpoint's throttle.
    throttle_waits: int = 0
    # Queued by the fan-out (FANNED_OUT).
    fanned_out: bool = False
    # Its delivery was logged already when its batch began: read for a fan-out message's first receipt only.
    logged: bool = False

    @property
    def first_receipt(self) -> bool:
        """Whether this is the first receipt of a message the fan-out queued, its delivery not logged: it
        cannot have been attempted yet, unless by a duplicate of the message at the same time."""
        return self.fanned_out and self.attempt == 1 and not self.logged

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> "QueuedMessage":
        """The message as a record of Lambda's SQS event hands it over."""
        attributes = record.get("messageAttributes") or {}
        waits = (attributes.get(THROTTLE_WAITS) or {}).get("stringValue")
        return cls(
            message_id=record["messageId"],
            receipt_handle=record["receiptHandle"],
            attempt=int(record["attributes"]["ApproximateReceiveCount"]),
            body=record["body"],
            throttle_waits=int(waits or 0),
            fanned_out=FANNED_OUT in attributes,
        )


class Result(StrEnum):
    DELIVERED = "delivered"
    # Delivered before: not POSTed again. Two copies at their first receipt at once find out only after
    # their POSTs, which their receiver deduplicates by their webhook-id.
    DUPLICATE = "duplicate"
    DROPPED = "dropped"
    ABORTED = "aborted"
    # Back on the queue after its wait.
    RETRYING = "retrying"
    # Not sent, its endpoint's circuit breaker being open: parked, off the queue.
    PARKED = "parked"
    # Over its endpoint's throttle: queued again as a new copy, after a delay.
    THROTTLED = "throttled"
    # Given up after the last attempt, and in the dead-letter queue.
    FAILED = "failed"
    # The deliverer itself failed: back on the queue after its visibility timeout.
    ERROR = "error"


STATUS: dict[Result, DeliveryStatus] = {
    Result.DELIVERED: "delivered",
    Result.DROPPED: "dropped",
    Result.ABORTED: "aborted",
    Result.RETRYING: "pending",
    Result.FAILED: "failed",
}


@dataclass(frozen=True)
class Outcome:
    queued: QueuedMessage
    result: Result
    message: DeliveryMessage | None = None
    status_code: int | None = None
    error: str | None = None
    # Seconds before the next attempt.
    wait: int | None = None
    # Waits as a new copy of the message, delayed: this one is done with.
    copied: bool = False
    # The attempts made of the delivery, as its log counts them (None when it has no log).
    attempts: int | None = None

    @property
    def redelivered(self) -> bool:
        """Whether the message stays on the queue (a batch item failure) for another attempt."""
        return self.result in (Result.RETRYING, Result.ERROR) and not self.copied

    @property
    def waits_as_copy(self) -> bool:
        """Whether the message waits as a new copy: over its endpoint's throttle, or received so often that
        its receive count nears the queue's redrive limit."""
        waits = self.redelivered and self.wait is not None
        return self.result is Result.THROTTLED or (waits and self.queued.attempt >= RECEIVES_BEFORE_COPY)
