"""Replays: a call that repeats one carried out within its webhook's window gets that call's answer again,
marked as replayed, and nothing runs a second time.

What makes two calls the same: the id a sender gives its delivery in a header (the same on each of its
retries), or else the same parameters. Powertools' idempotency utility keeps one record per call
(store/idempotency.py), in progress for the whole window; a webhook whose window is 0 keeps none, and
each of its calls runs.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.errors import Conflict
from mailhooks.inbound.operations import Answer, OperationContext
from mailhooks.models import InboundWebhook
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_log, activity_put
from mailhooks.store.items import Taken

logger = Logger(child=True)

REPLAYED_HEADER = "Idempotent-Replayed"
# Headers in which senders name a delivery, the same on each of its retries; the first one a call carries
# names it. The IETF draft's Idempotency-Key, then the senders' own: Standard Webhooks (and Svix, which
# implements it), Shopify, GitHub, GitLab, WooCommerce, Twilio, Atlassian (Jira, Confluence).
DELIVERY_ID_HEADERS = (
    "idempotency-key",
    "webhook-id",
    "svix-id",
    "x-shopify-webhook-id",
    "x-github-delivery",
    "x-gitlab-event-uuid",
    "x-wc-webhook-delivery-id",
    "i-twilio-idempotency-token",
    "x-atlassian-webhook-identifier",
)


def delivery_id(headers: Mapping[str, str | None]) -> str | None:
    """The id the sender gave this delivery: an Idempotency-Key as it is, another header's value with the
    header's name (two senders' ids never meet)."""
    given = {name.lower(): value for name, value in headers.items() if value}
    for header in DELIVERY_ID_HEADERS:
        if header in given:
            return given[header] if header == "idempotency-key" else f"{header}: {given[header]}"
    return None


def _conflict(window: int) -> Conflict:
    return Conflict(
        "an identical call is being carried out, or was interrupted and may have been carried out; it is "
        f"not carried out twice: retry in a few seconds, or after {window} s to carry it out anew"
    )


def _record_key(webhook: InboundWebhook, parameters: dict[str, Any], sender_id: str | None) -> str:
    called = {"idempotency_key": sender_id} if sender_id else {"parameters": parameters}
    digest = hashlib.sha256(json.dumps(called, sort_keys=True, default=str).encode()).hexdigest()
    return f"{webhook.id}#{digest}"


class _Replayed(Exception):
    def __init__(self, answer: Answer) -> None:
        self.answer = answer


def _recorded_alone(answer: Answer) -> Answer:
    assert answer.sent is not None
    try:
        activity_log().put_one(ActivityRecord.of(answer.sent))
    except Exception:
        logger.exception("a sent email's activity was not written", extra={"sent": answer.sent["id"]})
        return replace(answer, sent=None)
    return answer


def run_once(
    webhook: InboundWebhook,
    parameters: dict[str, Any],
    sender_id: str | None,
    context: OperationContext,
    carry_out: Callable[[], Answer],
) -> Answer:
    """The answer of the call: carried out now, or the one an identical call got within the window. Only an
    operation that sends keeps a record, begun as it takes what its send needs (context.take): the others
    change nothing twice (an address added again keeps its id, one deleted is gone)."""
    window = webhook.replay_window_seconds
    records = aws().idempotency_store
    # A webhook whose window is 0 keeps no record: what the send takes is written alone.
    key = _record_key(webhook, parameters, sender_id) if window else None
    begun: list[bool] = []

    def take(needs: list[Taken]) -> None:
        for _ in range(2):
            outcome = records.begin(key, int(clock.now().timestamp()), window, [need.write for need in needs])
            if outcome.existing is not None:
                if outcome.existing.answer is None:
                    raise _conflict(window)
                raise _Replayed(Answer(**json.loads(outcome.existing.answer)))
            if not outcome.refused:
                begun.append(True)
                return
            for index in sorted(outcome.refused):
                needs[index].refused()
        # A refusal that said its condition now holds, twice: a fault of ours, not the caller's.
        raise RuntimeError("what the send needs was refused again after its refusal was resolved")

    context.take = take
    context.give_back = lambda writes: records.abandon(key, writes)
    try:
        answer = carry_out()
    except _Replayed as replayed:
        return replace(replayed.answer, replayed=True)
    if not begun:
        if answer.sent is not None:  # the courtesy email of an operation that keeps no record: a welcome
            return _recorded_alone(answer)
        return answer
    written = [context.log_entry(answer)]  # an OutcomeUnknown's 502 too: logged as it is kept
    if answer.sent is not None:
        written.append(activity_put(ActivityRecord.of(answer.sent)))
    try:
        # Kept without what it sent: the record holds no address.
        records.complete(key, json.dumps(asdict(replace(answer, sent=None))), written)
    except Exception:
        # Done, but neither its record nor its send activity could be written: the caller learns what was
        # done, the record stays in progress so that the same call is not carried out again.
        logger.exception(
            "a carried-out call was not recorded", extra={"sent": answer.sent and answer.sent["id"]}
        )
        return replace(answer, sent=None)
    context.logged = True
    return answer
