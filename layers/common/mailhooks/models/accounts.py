"""Accounts, the limits the operator sets them, and their API keys: plain dataclasses (mailhooks.json_form),
so that the authorizer and the inbound function, which read accounts, import no pydantic."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import Plan

# The limits that are counts, and the least each may be: an hour may allow no email, a webhook not no call.
_LEAST = {
    "emails_per_hour": 0,
    "sms_per_hour": 0,
    "webhook_calls_per_second": 1,
    "webhook_burst": 1,
}


@dataclass(frozen=True)
class AccountLimits:
    """What the platform operator allows one account; a limit left out is the platform's default (the
    template's parameters)."""

    emails_per_hour: int | None = None
    sms_per_hour: int | None = None
    # ISO 3166 region codes SMS may go to, such as ES.
    sms_countries: list[str] | None = None
    # Alphanumeric sender ids the operator registered for the account; no other may be used.
    sms_sender_ids: list[str] = field(default_factory=list)
    # The most an owner may set on each of the account's inbound webhooks.
    webhook_calls_per_second: int | None = None
    webhook_burst: int | None = None

    def problems(self) -> list[str]:
        """What is wrong with the limits, each named."""
        return [
            f"{name}: must be {least} or more"
            for name, least in _LEAST.items()
            if (value := getattr(self, name)) is not None and value < least
        ]


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    plan: Plan
    limits: AccountLimits = field(default_factory=AccountLimits)
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "Account":
        """The account its JSON form (an item, numbers made plain) stands for."""
        values = own_fields(cls, data, times=("created_at",))
        values["limits"] = AccountLimits(**own_fields(AccountLimits, values.get("limits") or {}))
        return cls(**values)


@dataclass(frozen=True)
class ApiKey:
    """A key an account's software uses on the admin API; the key itself is stored only as a hash."""

    id: str
    account_id: int
    name: str
    # The key's first characters, so that its owner can tell which key this is.
    prefix: str
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "ApiKey":
        return cls(**own_fields(cls, data, times=("created_at",)))
