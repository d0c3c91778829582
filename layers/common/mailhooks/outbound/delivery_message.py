"""The delivery queue's message: one (activity, export endpoint), as the fan-out queues it, and as a
delivery sent again is queued."""

import json
from dataclasses import dataclass
from typing import Any

from mailhooks.json_form import json_object, json_text
from mailhooks.models import ExportEndpoint
from mailhooks.outbound.activity import ActivityRecord

# What each field's value must be, and the phrase naming it when it is not.
_EXPECTED: dict[str, tuple[type, str]] = {
    "webhook_id": (str, "a valid string"),
    "account_id": (int, "a valid integer"),
    "endpoint_id": (str, "a valid string"),
    "activity_id": (str, "a valid string"),
    "payload": (dict, "a valid dictionary"),
}


class NotADeliveryMessage(ValueError):
    """A queued body that is no delivery message, with each of its problems named."""


def _problem(name: str, data: dict[str, Any]) -> str | None:
    if name not in data:
        return f"{name}: Field required"
    expected, phrase = _EXPECTED[name]
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, expected):
        return f"{name}: Input should be {phrase}"
    return None


@dataclass(frozen=True)
class DeliveryMessage:
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

    def queued(self) -> str:
        """The message as the queue carries it, and as it is parked."""
        return json_text(self)

    @classmethod
    def of(cls, text: str) -> "DeliveryMessage":
        """The message a queued body holds; NotADeliveryMessage names what is wrong with one that is none."""
        try:
            data = json_object(text)
        except ValueError as error:
            raise NotADeliveryMessage(f"body: {error}") from None
        problems = [problem for name in _EXPECTED if (problem := _problem(name, data))]
        if problems:
            raise NotADeliveryMessage("; ".join(problems))
        return cls(**{name: data[name] for name in _EXPECTED})


def delivery_message(activity: ActivityRecord, endpoint: ExportEndpoint) -> DeliveryMessage:
    return DeliveryMessage(
        webhook_id=f"msg_{activity.id}_{endpoint.id}",
        account_id=activity.account_id,
        endpoint_id=endpoint.id,
        activity_id=activity.id,
        payload=activity.published(),
    )
