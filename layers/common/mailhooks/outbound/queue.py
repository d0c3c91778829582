"""Sending messages to SQS, ten to a call, as the fan-out, the deliver function and parking all do; and the
longest waits SQS allows."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from mailhooks.aws import aws, upstream
from mailhooks.errors import UpstreamFailure

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

# The most messages one SendMessageBatch takes.
SQS_BATCH = 10
# The longest a message waits on the queue before a retry, and any receiver can hold its endpoint back:
# SQS's longest visibility timeout, 12 hours counted from the message's receipt, less time for the batch
# that sets it (a wait set later than that is refused).
MAX_HOLD_SECONDS = 12 * 3600 - 300
# SQS's longest delay of a new message: the longest a copy (a throttled message, say) waits.
MAX_DELAY_SECONDS = 900


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
