"""Fan-out: each new activity becomes one delivery message per export endpoint that ticks its kind."""

import json
from collections.abc import Sequence

from pydantic import BaseModel

from mailhooks import health
from mailhooks.activity import ActivityRecord
from mailhooks.aws import aws
from mailhooks.models import ExportEndpoint
from mailhooks.settings import settings
from mailhooks.store import store

SQS_BATCH = 10


class DeliveryMessage(BaseModel):
    """One (activity, endpoint) on the delivery queue. The endpoint's URL and secret are read at delivery
    time, so that a change the owner saves applies to what is still queued."""

    # Stable for one activity at one endpoint across every retry and duplicate: receivers deduplicate on it.
    webhook_id: str
    account_id: int
    endpoint_id: str
    activity_id: str
    payload: dict[str, object]

    def body(self) -> str:
        """The exact text POSTed and signed: the activity in the published format, one JSON object."""
        return json.dumps(self.payload)


def delivery_message(activity: ActivityRecord, endpoint: ExportEndpoint) -> DeliveryMessage:
    return DeliveryMessage(
        webhook_id=f"msg_{activity.id}_{endpoint.id}",
        account_id=activity.account_id,
        endpoint_id=endpoint.id,
        activity_id=activity.id,
        payload=activity.published(),
    )


def fan_out(activities: Sequence[tuple[str, ActivityRecord]]) -> str | None:
    """Queue the deliveries of a batch of (stream position, activity); answer where the stream must be
    retried from, or None when every delivery is queued.

    One settings read per distinct account, one health read, and one SQS call per ten messages. A message
    to an endpoint whose circuit breaker is open is delayed until the breaker's wait is over. When a message
    cannot be queued, the stream is retried from its activity on; what is queued twice that way is
    deduplicated at delivery by its webhook id.
    """
    endpoints = {
        account_id: [endpoint for endpoint in store().export_endpoints(account_id) if endpoint.active]
        for account_id in dict.fromkeys(activity.account_id for _, activity in activities)
    }
    queued: list[tuple[int, DeliveryMessage]] = [
        (index, delivery_message(activity, endpoint))
        for index, (_, activity) in enumerate(activities)
        for endpoint in endpoints[activity.account_id]
        if activity.activity_id in endpoint.activities
    ]
    keys = [(message.account_id, message.endpoint_id) for _, message in queued]
    delays = health.open_delays(dict.fromkeys(keys), health.now()) if queued else {}
    first_failure = len(activities)
    for start in range(0, len(queued), SQS_BATCH):
        batch = queued[start : start + SQS_BATCH]
        answer = aws().sqs.send_message_batch(
            QueueUrl=settings().delivery_queue_url,
            Entries=[
                {
                    "Id": str(number),
                    "MessageBody": message.model_dump_json(),
                    "DelaySeconds": delays.get((message.account_id, message.endpoint_id), 0),
                }
                for number, (_, message) in enumerate(batch)
            ],
        )
        for failed in answer.get("Failed", []):
            first_failure = min(first_failure, batch[int(failed["Id"])][0])
    return activities[first_failure][0] if first_failure < len(activities) else None
