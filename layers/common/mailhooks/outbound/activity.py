"""Activity records and the platform's published JSON format for them.

Every send, open, click, subscription, unsubscription and complaint becomes one ActivityRecord in the
activity table; its stream feeds the fan-out to export endpoints.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import ActivityKind, SendingType

# The published format's timestamp: UTC, exactly yyyy-MM-dd HH:mm:ss.ffffff
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def new_activity_id() -> str:
    return secrets.token_hex(12)


@dataclass(frozen=True)
class ActivityRecord:
    account_id: int
    # The campaign, the transactional email's or SMS's own action, or the list (subscribe, unsubscribe).
    action_id: int
    type_id: SendingType
    activity_id: ActivityKind
    # The recipient: an email address, or the phone number of an SMS.
    email: str
    id: str = field(default_factory=new_activity_id)
    occurred_at: datetime = field(default_factory=clock.now)
    url: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "ActivityRecord":
        """The record its JSON form (an item, numbers made plain) stands for."""
        values = own_fields(cls, data, times=("occurred_at",))
        values["account_id"] = int(values["account_id"])
        values["action_id"] = int(values["action_id"])
        values["type_id"] = SendingType(int(values["type_id"]))
        values["activity_id"] = ActivityKind(int(values["activity_id"]))
        return cls(**values)

    def published(self) -> dict[str, Any]:
        """The body POSTed to export endpoints, exactly in the platform's published format."""
        body: dict[str, Any] = {
            "account_id": self.account_id,
            "action_id": self.action_id,
            "type_id": int(self.type_id),
            "activity_id": int(self.activity_id),
            "email": self.email,
            "timestamp": self.occurred_at.astimezone(clock.now().tzinfo).strftime(TIMESTAMP_FORMAT),
        }
        if self.activity_id == ActivityKind.CLICK:
            body["url"] = self.url
        return body
