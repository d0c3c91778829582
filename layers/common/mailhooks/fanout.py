"""Fan-out: each new activity becomes one delivery message per export endpoint that ticks its kind."""

from collections.abc import Sequence

from mailhooks import health
from mailhooks.activity import ActivityRecord
from mailhooks.aws import aws
from mailhooks.delivery_message import SQS_BATCH, DeliveryMessage, delivery_message
from mailhooks.parking import park
from mailhooks.settings import settings
from mailhooks.store import EndpointKey, store


def fan_out(activities: Sequence[tuple[str, ActivityRecord]]) -> str | None:
    """Queue the deliveries of a batch of (stream position, activity); answer where the stream must be
    retried from, or None when every delivery is queued.

    One settings read per distinct account, one health read, and one SQS call per ten messages. A delivery
    to an endpoint whose circuit breaker is open is parked instead, one write per endpoint, until the
    breaker closes (mailhooks.parking). When a message cannot be queued, the stream is retried from its
    activity on; what is queued twice that way is deduplicated at delivery by its webhook id.
    """
    endpoints = {
        account_id: [endpoint for endpoint in store().export_endpoints(account_id) if endpoint.active]
        for account_id in dict.fromkeys(activity.account_id for _, activity in activities)
    }
    messages: list[tuple[int, DeliveryMessage]] = [
        (index, delivery_message(activity, endpoint))
        for index, (_, activity) in enumerate(activities)
        for endpoint in endpoints[activity.account_id]
        if activity.activity_id in endpoint.activities
    ]
    at = health.now()
    keys = dict.fromkeys((message.account_id, message.endpoint_id) for _, message in messages)
    open_keys = health.breaker_open(keys, at) if messages else set()
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
    first_failure = len(activities)
    for start in range(0, len(queued), SQS_BATCH):
        batch = queued[start : start + SQS_BATCH]
        answer = aws().sqs.send_message_batch(
            QueueUrl=settings().delivery_queue_url,
            Entries=[
                {"Id": str(number), "MessageBody": message.model_dump_json()}
                for number, (_, message) in enumerate(batch)
            ],
        )
        for failed in answer.get("Failed", []):
            first_failure = min(first_failure, batch[int(failed["Id"])][0])
    return activities[first_failure][0] if first_failure < len(activities) else None
