"""Settling a batch's outcomes with the queues: waits, delayed copies, dead letters, parked writes."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.outbound.delivery.outcomes import THROTTLE_WAITS, Outcome, Result
from mailhooks.outbound.endpoint_health.breaker import Gate
from mailhooks.outbound.parking import park
from mailhooks.outbound.queue import MAX_DELAY_SECONDS, dead_letter, send_messages
from mailhooks.settings import settings
from mailhooks.store.keys import EndpointKey

logger = Logger(child=True)


def _dead_letter(outcome: Outcome) -> dict[str, Any]:
    return dead_letter(outcome.queued.body, outcome.error, outcome.attempts, clock.now(), outcome.status_code)


def _copy(outcome: Outcome) -> dict[str, Any]:
    """A new copy of the message, delayed by its wait as far as SQS delays: a new copy's receive count starts
    again, so that waiting never runs into the queue's redrive policy. A throttled copy counts one more wait
    for the throttle."""
    waits = outcome.queued.throttle_waits + (outcome.result is Result.THROTTLED)
    return {
        "MessageBody": outcome.queued.body,
        "DelaySeconds": min(MAX_DELAY_SECONDS, outcome.wait or 0),
        "MessageAttributes": {THROTTLE_WAITS: {"DataType": "Number", "StringValue": str(waits)}},
    }


def _send(queue_url: str, outcomes: list[Outcome], entry: Callable[[Outcome], dict[str, Any]]) -> set[str]:
    """Send a message for each outcome: the ids of the queued messages whose message could not be sent."""
    refused, _ = send_messages(queue_url, [entry(outcome) for outcome in outcomes])
    return {outcomes[index].queued.message_id for index in refused}


def settle(outcomes: list[Outcome]) -> list[Outcome]:
    """Hold each message that waits back for its wait, or queue a delayed copy of it (each throttled one,
    and those received often), and move each given-up one to the dead-letter queue; one that could not be
    queued or moved stays on the queue, to be settled at its next receipt."""
    outcomes = [replace(outcome, copied=True) if outcome.waits_as_copy else outcome for outcome in outcomes]
    waiting = [outcome for outcome in outcomes if outcome.redelivered and outcome.wait is not None]
    if waiting:
        answer = aws().sqs.change_message_visibility_batch(
            QueueUrl=settings().delivery_queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": outcome.queued.receipt_handle, "VisibilityTimeout": wait}
                for index, outcome in enumerate(waiting)
                if (wait := outcome.wait) is not None
            ],
        )
        for failure in answer.get("Failed", []):
            logger.warning(
                "the wait before a retry could not be set: the message comes back after the queue's timeout",
                extra={"message_id": waiting[int(failure["Id"])].queued.message_id, "reason": failure},
            )
    limits = settings()
    unsent = _send(
        limits.delivery_queue_url, [outcome for outcome in outcomes if outcome.copied], _copy
    ) | _send(
        limits.delivery_dead_letter_queue_url,
        [outcome for outcome in outcomes if outcome.result is Result.FAILED],
        _dead_letter,
    )
    return [
        replace(outcome, result=Result.ERROR, copied=False)
        if outcome.queued.message_id in unsent
        else outcome
        for outcome in outcomes
    ]


def write_parked(gates: dict[EndpointKey, Gate]) -> set[EndpointKey]:
    """Park each endpoint's parked messages in one write: the endpoints whose messages could not be."""
    unwritten: set[EndpointKey] = set()
    for key, gate in gates.items():
        if gate.parked:
            try:
                park(key, gate.parked, gate.at)
            except Exception:
                logger.exception("deliveries could not be parked", extra={"endpoint_id": gate.endpoint.id})
                unwritten.add(key)
    return unwritten


def unparked(outcomes: list[Outcome], unwritten: set[EndpointKey]) -> list[Outcome]:
    """The outcomes, those parked to an endpoint whose parked messages could not be written made errors:
    they stay on the queue, to be parked at their next receipt."""
    return [
        replace(outcome, result=Result.ERROR)
        if outcome.result is Result.PARKED
        and outcome.message is not None
        and (outcome.message.account_id, outcome.message.endpoint_id) in unwritten
        else outcome
        for outcome in outcomes
    ]
