"""Cost per call: the AWS API calls one inbound call of each operation makes, and one delivered event from
stream record to receiver; priced with AWS's published prices into USD per million, beside the lower
bound: the calls that cannot be avoided."""

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from bench import prices
from bench.harness import moto_stack
from mailhooks.models import ActivityKind, ExportEndpoint
from mailhooks.outbound.delivery.signing import new_secret
from mailhooks.store.activity import activity_log
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.counting import by_operation, counting_aws_calls
from tests.support.helpers import (
    NUMBERED_OPERATIONS,
    OPERATION_CALLS,
    FakeLambdaContext,
    call,
    campaign_activity,
    hook_event,
    seed_account,
    seed_operation_calls,
    seed_webhook,
)
from tests.support.receivers import receivers
from tests.support.streams import StreamTail
from tests.support.triggers import run_queue

MEMORY_GB = 0.5  # the template's MemorySize
EVENTS = 100  # delivered events measured together: the fan-out and SQS work per batch are shared

# What each operation cannot do without: read its webhook, count the call, and its own effect.
INBOUND_LOWER_BOUND: dict[str, dict[str, int]] = {
    "add_subscriber": {"read": 1, "write": 3},  # webhook; subscriber, stats, activity
    "delete_subscriber": {"read": 1, "write": 2},  # webhook; delete, stats
    "unsubscribe": {"read": 1, "write": 3},  # webhook; status, stats, activity
    "send_sms": {"read": 1, "write": 2, "sns": 1},  # webhook; stats, activity; the SMS
    "send_email": {"read": 1, "write": 2, "ses": 1},  # webhook; stats, activity; the email
    "send_campaign": {"read": 1, "write": 2, "sqs": 1},  # webhook; campaign, stats; the queued campaign
}
# Issue 17's goals: AWS calls of an inbound call, by whether it sends; a delivered event's cost.
GOAL_AWS_CALLS = {
    "add_subscriber": 4,
    "delete_subscriber": 4,
    "unsubscribe": 4,
    "send_sms": 5,
    "send_email": 5,
    "send_campaign": 5,
}
GOAL_DELIVERY_TO_LOWER_BOUND = 1.2
# One delivered event: its activity write, a tenth of a fan-out SQS batch call and of the trigger's
# receive and delete, and one log write of the delivery.
DELIVERY_LOWER_BOUND = {"write": 2, "sqs": 0.3}

_WRITE_UNITS: dict[str, Callable[[dict[str, Any]], float]] = {
    "dynamodb.PutItem": lambda _: 1,
    "dynamodb.UpdateItem": lambda _: 1,
    "dynamodb.DeleteItem": lambda _: 1,
    "dynamodb.TransactWriteItems": lambda params: 2 * len(params["TransactItems"]),
    "dynamodb.BatchWriteItem": lambda params: sum(len(items) for items in params["RequestItems"].values()),
}
_READ_UNITS: dict[str, Callable[[dict[str, Any]], float]] = {
    "dynamodb.GetItem": lambda params: 1 if params.get("ConsistentRead") else 0.5,
    "dynamodb.Query": lambda params: 1 if params.get("ConsistentRead") else 0.5,
    "dynamodb.BatchGetItem": lambda params: sum(
        len(keys["Keys"]) * (1 if keys.get("ConsistentRead") else 0.5)
        for keys in params["RequestItems"].values()
    ),
}


def _units(calls: list[tuple[str, dict[str, Any]]]) -> dict[str, float]:
    """Request units and requests by kind (DynamoDB units for items under 1 KB written, 4 KB read; an
    eventually consistent read half a unit)."""
    return {
        "read": sum(_READ_UNITS[name](params) for name, params in calls if name in _READ_UNITS),
        "write": sum(_WRITE_UNITS[name](params) for name, params in calls if name in _WRITE_UNITS),
        "sqs": sum(1 for name, _ in calls if name.startswith("sqs.")),
        "ses": sum(1 for name, _ in calls if name.startswith("sesv2.")),
        "sns": sum(1 for name, _ in calls if name.startswith("sns.")),
    }


def _usd_per_million(
    units: Mapping[str, float], invocations: float, seconds: float, api_requests: float
) -> float:
    each = (
        units.get("read", 0) * prices.DYNAMODB_READ_UNIT
        + units.get("write", 0) * prices.DYNAMODB_WRITE_UNIT
        + units.get("sqs", 0) * prices.SQS_REQUEST
        + units.get("ses", 0) * prices.SES_EMAIL
        + units.get("sns", 0) * prices.SNS_PUBLISH
        + invocations * prices.LAMBDA_REQUEST
        + seconds * MEMORY_GB * prices.LAMBDA_ARM_GB_SECOND
        + api_requests * prices.API_GATEWAY_REST_REQUEST
    )
    return round(each * 1e6, 2)


def _inbound() -> dict[str, object]:
    figures: dict[str, object] = {}
    with moto_stack():
        seed_operation_calls()
        other = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
        call(hook_event(other.token, json.dumps({"email": "b@example.com"})))  # for unsubscribe; warms up
        for name, (mapping, body) in OPERATION_CALLS.items():
            webhook = seed_webhook(name, mapping, list_id=2222 if name == "add_subscriber" else None)
            if name in NUMBERED_OPERATIONS:  # warmed up as test_aws_call_counts explains
                call(hook_event(webhook.token, json.dumps(body), headers={"Idempotency-Key": "warm-up"}))
            with counting_aws_calls() as calls:
                started = time.perf_counter()
                status = call(hook_event(webhook.token, json.dumps(body)))[0]
                seconds = time.perf_counter() - started
            assert status < 300, (name, status)
            units = _units(calls)
            figures[name] = {
                "aws_calls": dict(by_operation(calls)),
                "handler_ms": round(seconds * 1000, 1),
                "usd_per_million": _usd_per_million(units, 1, seconds, 1),
                "lower_bound_usd_per_million": _usd_per_million(INBOUND_LOWER_BOUND[name], 1, 0, 1),
            }
    return figures


def _delivery() -> dict[str, object]:
    from functions.delivery.app import handler as deliver
    from functions.fanout.app import handler as fan_out

    with moto_stack(ALLOW_LOCAL_ENDPOINTS="true") as stack, receivers() as start:
        receiver = start()
        seed_account(12)
        export_endpoint_records().put_export_endpoint(
            ExportEndpoint(
                id="ep", account_id=12, url=receiver.url(), activities=list(ActivityKind), secret=new_secret()
            )
        )
        tail = StreamTail(stack, "ActivityTable")
        # Lambda bills the handlers' time: not the trigger's receiving and deleting, which Lambda's poller
        # does, and which run_queue does here between invocations.
        invoked: list[float] = []

        def timed(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
            def run(event: Any, context: Any) -> Any:
                started = time.perf_counter()
                try:
                    return handler(event, context)
                finally:
                    invoked.append(time.perf_counter() - started)

            return run

        with counting_aws_calls() as calls:
            activity_log().put([campaign_activity(ActivityKind.OPEN, n) for n in range(EVENTS)])
            timed(fan_out)(tail.next_event(), FakeLambdaContext())
            batches = run_queue(stack, "DeliveryQueue", timed(deliver))
        seconds = sum(invoked)
        assert len(receiver.received) == EVENTS
    # The trigger's own receive and delete per batch are SQS requests too, that the code does not make.
    units = _units(calls)
    units["sqs"] += 2 * batches - sum(
        1 for name, _ in calls if name in ("sqs.ReceiveMessage", "sqs.DeleteMessage")
    )
    per_event = {kind: value / EVENTS for kind, value in units.items()}
    invocations = (1 + batches) / EVENTS
    return {
        "events": EVENTS,
        "aws_calls": dict(by_operation(calls)),
        "handler_ms_per_event": round(seconds * 1000 / EVENTS, 2),
        "usd_per_million": _usd_per_million(per_event, invocations, seconds / EVENTS, 0),
        "lower_bound_usd_per_million": _usd_per_million(DELIVERY_LOWER_BOUND, invocations, 0, 0),
    }


def measure() -> dict[str, object]:
    return {
        "prices_date": prices.PRICES_DATE,
        "memory_gb": MEMORY_GB,
        "inbound": _inbound(),
        "delivered_event": _delivery(),
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
