"""The delivery queue's message: one (activity, export endpoint), as the fan-out queues it, and as a
delivery sent again is queued."""

import json

from pydantic import BaseModel

from mailhooks.models import ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord


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
