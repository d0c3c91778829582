"""Sending messages to SQS, ten to a call, as the fan-out, the deliver function and parking all do; the
dead-letter queue's message; and the longest waits SQS allows."""

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from mailhooks.aws import aws, upstream
from mailhooks.errors import UpstreamFailure

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef, SendMessageBatchRequestEntryTypeDef

# The most messages one SendMessageBatch takes.
SQS_BATCH = 10
# The longest a message waits on the queue before a retry, and any receiver can hold its endpoint back:
# SQS's longest visibility timeout, 12 hours counted from the message's receipt, less time for the batch
# that sets it (a wait set later than that is refused).
MAX_HOLD_SECONDS = 12 * 3600 - 300
# SQS's longest delay of a new message: the longest a copy (a throttled message, say) waits.
MAX_DELAY_SECONDS = 900
# The characters SQS refuses in a message attribute (it takes XML's: #x9, #xA, #xD, #x20 to #xD7FF, #xE000
# to #xFFFD, #x10000 to #x10FFFF). A message it refuses stays on its queue, received again and again.
# Compiled on first use, by re's cache: its million characters took longer than all the rest of this module,
# at the cold start of every function that queues, for the rare dead letter.
_REFUSED_IN_ATTRIBUTES = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def attribute_text(text: str) -> str:
    """Text as SQS takes it in a message attribute: each character it refuses replaced with U+FFFD."""
    return re.sub(_REFUSED_IN_ATTRIBUTES, "\ufffd", text)


def dead_letter(
    body: str, error: str | None, attempts: int | None, at: datetime, status_code: int | None = None
) -> dict[str, Any]:
    """The dead-letter queue's entry of a message given up: its body as it was queued, so that the queue's
    redrive can send it back for another round, with why it failed in its attributes. `error` may quote the
    receiver's answer, which may hold any character."""
    attributes: dict[str, MessageAttributeValueTypeDef] = {
        "error": {"DataType": "String", "StringValue": attribute_text(error or "unknown")},
        # As the log counts them: a receipt that died before its attempt is none.
        "attempts": {"DataType": "Number", "StringValue": str(attempts or 0)},
        "failed_at": {"DataType": "String", "StringValue": at.isoformat()},
    }
    if status_code is not None:
        attributes["status_code"] = {"DataType": "Number", "StringValue": str(status_code)}
    return {"MessageBody": body, "MessageAttributes": attributes}


def send_messages(queue_url: str, entries: Sequence[Mapping[str, Any]]) -> tuple[set[int], str | None]:
    """Queue the entries (SendMessageBatch's, without their Id), SQS_BATCH to a call: the indexes of those
    not queued, and why. When a call fails as a whole, its entries and those after it are not queued."""
    refused: set[int] = set()
    why: str | None = None
    for start in range(0, len(entries), SQS_BATCH):
        batch = [
            cast("SendMessageBatchRequestEntryTypeDef", {**entry, "Id": str(start + index)})
            for index, entry in enumerate(entries[start : start + SQS_BATCH])
        ]
        try:
            with upstream("Amazon SQS"):
                answer = aws().sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
        except UpstreamFailure as failure:
            return refused | set(range(start, len(entries))), failure.message
        failures = answer.get("Failed", [])
        refused |= {int(failure["Id"]) for failure in failures}
        if failures and why is None:
            why = f"Amazon SQS failed: {failures[0].get('Message') or failures[0]['Code']}"
    return refused, why
