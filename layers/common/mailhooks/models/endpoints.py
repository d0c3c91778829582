"""Export endpoints: a plain dataclass, as every record the outbound functions read (mailhooks.json_form)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import ActivityKind


@dataclass(frozen=True)
class ExportEndpoint:
    """A URL of the account's that receives, signed, every activity of the kinds it ticks."""

    id: str
    account_id: int
    url: str
    activities: list[ActivityKind]
    # Standard Webhooks signing secret: "whsec_" + base64 of random bytes.
    secret: str
    active: bool = True
    # The secret the last rotation replaced, which signs deliveries beside the new one until it expires: what
    # was queued before the rotation still verifies, and the receiver has time to take the new one.
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    # Who is told when the endpoint keeps failing and when it is disabled: whoever runs its receiver, who
    # need not be the account's owner.
    owner_email: str | None = None
    # Whether the owner email's reader followed the link mailed to it: until then, it is mailed nothing else.
    owner_email_confirmed: bool = False
    # The most requests the receiver takes at once, and per second; None for no limit.
    max_concurrency: int | None = None
    max_per_second: int | None = None
    created_at: datetime = field(default_factory=clock.now)
    updated_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "ExportEndpoint":
        """The endpoint its JSON form (an item, numbers made plain) stands for."""
        values = own_fields(cls, data, times=("previous_secret_expires_at", "created_at", "updated_at"))
        values["activities"] = [ActivityKind(kind) for kind in values["activities"]]
        return cls(**values)

    def signing_secrets(self, at: datetime) -> list[str]:
        """The secrets that sign a delivery made at `at`: the current one, and the one it replaced until that
        one expires."""
        expires_at = self.previous_secret_expires_at
        if self.previous_secret is None or expires_at is None or expires_at <= at:
            return [self.secret]
        return [self.secret, self.previous_secret]
