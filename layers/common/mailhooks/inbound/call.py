"""Answering a call to an inbound webhook's secret URL: find the webhook, map the body, run the operation.

A call is latency for the system waiting on it, so its AWS calls are few (tests/integration/
test_aws_call_counts.py counts them):
1. GetItem of the webhook, whose item carries its account (plan, limits) and its list.
2. UpdateItem of its pace, which admits the call, counts it a success and moves last_call_at.
3. One TransactWriteItems of the effect with the call's log entry, ownership checked by ConditionChecks
   (a list, a template, a verified domain) rather than reads.
An operation that sends makes instead: 3. one transaction that begins the call's record with what the send
takes (its hourly quota, its campaign); 4. the send; 5. one transaction that completes the record with the
send's activity and the log entry (inbound.replays). An error is counted and logged by two more writes.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.errors import (
    Forbidden,
    MailhooksError,
    NotFound,
    OutcomeUnknown,
    PayloadTooLarge,
    internal_error,
)
from mailhooks.inbound.mapping import extract, parse_body
from mailhooks.inbound.operations import Answer, Operation, OperationContext, operation_named
from mailhooks.inbound.pace import keep_pace
from mailhooks.inbound.replays import run_once
from mailhooks.json_form import json_data
from mailhooks.models import Account, InboundCallRecord, InboundWebhook
from mailhooks.settings import settings
from mailhooks.store.accounts import account_records
from mailhooks.store.inbound_webhooks import check_sample_size, inbound_webhook_records

logger = Logger(child=True)

NO_WEBHOOK = "no webhook answers at this URL"
CALL_LOG_BODY_BYTES = 4096
# The shape of every URL token the platform issues (inbound.inbound_webhooks): secrets.token_urlsafe(32).
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class InboundCall:
    token: str
    method: str
    content_type: str | None
    body: bytes
    # Where this API is reached, for links the operation puts in emails.
    base_url: str
    # The id the sender gave this delivery in a header (inbound.replays), the same on each of its retries.
    delivery_id: str | None = None
    # The invocation's LambdaContext, whose request id a failure's answer quotes.
    lambda_context: Any = None


@dataclass
class _Progress:
    """How far a call went: its answer is counted and logged accordingly."""

    # Admitted by the webhook's pace, which counted it a success.
    admitted: bool = False
    # The operation's context, once it ran: whether it wrote the call's log entry with its effect.
    context: OperationContext | None = None


def _account_answering(webhook: InboundWebhook) -> Account:
    """The webhook's account, if the webhook may be called: switched on, of an account on a paid plan."""
    if not webhook.active and not webhook.listening:
        raise Forbidden("this webhook is switched off; its owner can switch it on again")
    account = webhook.account or account_records().get_account(webhook.account_id)
    if account is None:
        raise NotFound(NO_WEBHOOK)
    if account.plan != "paid":
        raise Forbidden("inbound webhooks are a feature of paid plans, and this account is on the free plan")
    return account


def _head(webhook: InboundWebhook) -> Answer:
    """What a POST would meet before its body is read, so that a sender's check of the URL tells the truth."""
    try:
        _account_answering(webhook)
    except MailhooksError as error:
        return Answer(error.status, {})
    return Answer(200, {})


def _run(webhook: InboundWebhook, call: InboundCall, now: datetime, progress: _Progress) -> Answer:
    account = _account_answering(webhook)
    keep_pace(webhook, account, now)
    progress.admitted = True
    limit = settings().max_body_bytes
    if len(call.body) > limit:
        raise PayloadTooLarge(
            f"the body is {len(call.body)} bytes; the limit is {limit} bytes ({limit // 1024} KiB)"
        )
    document = parse_body(call.content_type, call.body)
    if webhook.listening:
        check_sample_size(document, "the body")
        inbound_webhook_records().capture_sample_payload(call.token, document, now)
        return Answer(202, {"captured": "this body is now the webhook's sample payload; nothing was run"})
    operation = operation_named(webhook.operation)
    context = progress.context = OperationContext(
        account=account,
        webhook=webhook,
        aws=aws(),
        settings=settings(),
        base_url=call.base_url,
        now=now,
        log_entry=lambda answer: inbound_webhook_records().log_entry(
            webhook, _call_record(now, answer, call)
        ),
    )
    parameters = operation.parameters_of(context.webhook_list() if operation.uses_webhook_list else None)
    required = {each.name for each in parameters.declared if each.required}
    values = parameters.read(extract(webhook.mapping, document, required))
    bound = parameters.make(values)
    window = webhook.replay_window_seconds
    return run_once(
        webhook,
        values,
        call.delivery_id,
        context,
        lambda: _carry_out(operation, bound, context, window),
    )


def _carry_out(operation: Operation[Any], parameters: Any, context: OperationContext, window: int) -> Answer:
    try:
        answer = operation.run(parameters, context)
    except OutcomeUnknown as error:
        # Kept as the call's answer, as a success is: the same call gets it again and sends nothing more.
        again = (
            f"an identical call within {window} s gets this same answer and changes nothing"
            if window
            else "this webhook keeps no record of its calls: an identical call carries it out again"
        )
        return Answer(error.status, {"error": f"{error.message}; it may have been carried out, so {again}"})
    if context.sent is None:
        return answer
    return replace(answer, sent=json_data(context.sent))


def _call_record(now: datetime, answer: Answer, call: InboundCall) -> InboundCallRecord:
    shown = call.body[:CALL_LOG_BODY_BYTES].decode("utf-8", errors="replace")
    return InboundCallRecord(
        at=now,
        status=answer.status,
        replayed=answer.replayed,
        error=answer.body.get("error"),
        body=shown,
        truncated=len(call.body) > CALL_LOG_BODY_BYTES,
    )


def _failure(call: InboundCall) -> Answer:
    """A failure of ours: the caller gets a reference to quote, the log has the rest."""
    logger.exception("inbound call failed")
    return Answer(500, {"error": internal_error(getattr(call.lambda_context, "aws_request_id", None))})


def answer_call(call: InboundCall) -> Answer:
    """The answer to one call; every answered POST to an existing webhook is counted in its stats."""
    # A token of another shape than the platform issues names no webhook: answered without a read.
    records = inbound_webhook_records()
    webhook = records.find_inbound_webhook(call.token) if TOKEN.fullmatch(call.token) else None
    if webhook is None:
        return Answer(404, {"error": NO_WEBHOOK})
    if call.method == "HEAD":
        return _head(webhook)
    now = clock.now()
    progress = _Progress()
    try:
        answer = _run(webhook, call, now, progress)
    except MailhooksError as error:
        answer = Answer(error.status, {"error": error.message}, error.headers)
    except Exception:
        answer = _failure(call)
    logged = progress.context is not None and progress.context.logged
    if answer.status >= 400:
        records.count_error(
            webhook, _call_record(now, answer, call), admitted=progress.admitted, log=not logged
        )
    elif not logged:
        records.log_call(webhook, _call_record(now, answer, call))
    logger.info(
        "inbound call answered",
        extra={
            "webhook_id": webhook.id,
            "account_id": webhook.account_id,
            "operation": webhook.operation,
            "status": answer.status,
            "replayed": answer.replayed,
            "error": answer.body.get("error"),
        },
    )
    return answer
