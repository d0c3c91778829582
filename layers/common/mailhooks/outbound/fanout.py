"""Fan-out: each new activity becomes one delivery message per export endpoint that ticks its kind."""

from collections.abc import Sequence

from mailhooks import clock
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.delivery.outcomes import FANNED_OUT
from mailhooks.outbound.delivery_message import DeliveryMessage, delivery_message
from mailhooks.outbound.endpoint_health.breaker import breaker_open
from mailhooks.outbound.parking import park
from mailhooks.outbound.queue import send_messages
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from mailhooks.store.keys import EndpointKey


def fan_out(activities: Sequence[tuple[str, ActivityRecord]], replayed: bool = False) -> str | None:
    """Queue the deliveries of a batch of (stream position, activity); answer where the stream must be
    retried from, or None when every delivery is queued.

    One settings read per distinct account, one health read, and one SQS call per ten messages. A delivery
    to an endpoint whose circuit breaker is open is parked instead, one write per endpoint, until the
    breaker closes (outbound.parking). When a message cannot be queued, the stream is retried from its
    activity on; what is queued twice that way is deduplicated by its webhook id: at delivery, or, when
    both copies are attempted at their first receipt, by the receiver. Activities `replayed` from the
    stream may have been fanned out before: their messages are not marked FANNED_OUT, so that each takes
    its delivery's lease, and one delivered already is not sent again.
    """
    endpoints = {
        account_id: [
            endpoint for endpoint in export_endpoint_records().export_endpoints(account_id) if endpoint.active
        ]
        for account_id in dict.fromkeys(activity.account_id for _, activity in activities)
    }
    deliveries: dict[str, tuple[int, DeliveryMessage]] = {}
    for index, (_, activity) in enumerate(activities):
        for endpoint in endpoints[activity.account_id]:
            if activity.activity_id in endpoint.activities:
                message = delivery_message(activity, endpoint)
                # One message per delivery: an activity written twice (SNS, say, delivering an event
                # twice) can come twice in one batch, where both copies would be POSTed at once.
                deliveries.setdefault(message.webhook_id, (index, message))
    messages = list(deliveries.values())
    at = clock.now()
    keys = dict.fromkeys((message.account_id, message.endpoint_id) for _, message in messages)
    open_keys = breaker_open(keys, at) if messages else set()
    parked: dict[EndpointKey, list[DeliveryMessage]] = {}
    queued: list[tuple[int, DeliveryMessage]] = []
    for index, message in messages:
        key = (message.account_id, message.endpoint_id)
        if key in open_keys:
            parked.setdefault(key, []).append(message)
        else:
            queued.append((index, message))
    for key, held in parked.items():
        park(key, held, at)
    attributes = (
        {} if replayed else {"MessageAttributes": {FANNED_OUT: {"DataType": "Number", "StringValue": "1"}}}
    )
    refused, _ = send_messages(
        settings().delivery_queue_url,
        [{"MessageBody": message.queued(), **attributes} for _, message in queued],
    )
    first_failure = min((queued[index][0] for index in refused), default=len(activities))
    return activities[first_failure][0] if first_failure < len(activities) else None
