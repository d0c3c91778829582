"""Replays: a call that repeats one carried out within its webhook's window gets that call's answer again,
marked as replayed, and nothing runs a second time.

What makes two calls the same: the id a sender gives its delivery in a header (the same on each of its
retries), or else the same parameters. Powertools' idempotency utility keeps one record per call
(store/idempotency.py), in progress for the whole window; a webhook whose window is 0 keeps none, and
each of its calls runs.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer

from mailhooks.aws import aws
from mailhooks.errors import Conflict
from mailhooks.inbound.operations import Answer
from mailhooks.models import InboundWebhook
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_log

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


def _unrecorded(answer: Answer) -> Answer:
    """What the caller learns of a call carried out whose send activity could not be written."""
    logger.exception("a carried-out call was not recorded", extra={"sent": answer.sent and answer.sent["id"]})
    return replace(answer, sent=None)


def _without_record(carry_out: Callable[[], Answer]) -> Answer:
    answer = carry_out()
    if answer.sent is None:
        return answer
    try:
        activity_log().put_one(ActivityRecord.model_validate(answer.sent))
    except Exception:
        return _unrecorded(answer)
    return answer


def run_once(
    webhook: InboundWebhook,
    parameters: dict[str, Any],
    sender_id: str | None,
    carry_out: Callable[[], Answer],
) -> Answer:
    """The answer of the call: carried out now, or the one an identical call got within the window."""
    window = webhook.replay_window_seconds
    if window == 0:
        return _without_record(carry_out)
    key = (
        {"webhook": webhook.id, "idempotency_key": sender_id}
        if sender_id
        else {"webhook": webhook.id, "parameters": parameters}
    )
    carried_out: list[Answer] = []

    def run_operation(*, key: dict[str, Any]) -> Answer:
        carried_out.append(carry_out())
        return carried_out[0]

    once = idempotent_function(
        data_keyword_argument="key",
        persistence_store=aws().idempotency_store,
        config=IdempotencyConfig(expires_after_seconds=window),
        output_serializer=DataclassSerializer(Answer),
    )(run_operation)
    try:
        answer: Answer = once(key=key)
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "an identical call is being carried out, or was interrupted and may have been carried out; it is "
            f"not carried out twice: retry in a few seconds, or after {window} s to carry it out anew"
        ) from None
    except IdempotencyPersistenceLayerError:
        if not carried_out:
            raise
        # Done, but neither its record nor its send activity could be written: the caller learns what was
        # done, the record stays in progress so that the same call is not carried out again.
        return _unrecorded(carried_out[0])
    # Nothing ran in this invocation: the answer is the record's.
    return answer if carried_out else replace(answer, replayed=True)
