"""The domains accounts send email from: a plain dataclass, as the campaigns it sends are
(mailhooks.json_form)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields


@dataclass(frozen=True)
class SendingDomain:
    """A domain an account sends email from, an identity of its own in SES."""

    domain: str
    account_id: int
    # As SES last reported it; a domain is used only once SES says it is verified.
    verified: bool = False
    # The DKIM tokens SES issued: each is published as a CNAME record.
    dkim_tokens: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "SendingDomain":
        """The domain its JSON form (an item, numbers made plain) stands for."""
        return cls(**own_fields(cls, data, times=("created_at",)))
