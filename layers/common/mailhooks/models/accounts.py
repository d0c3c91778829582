"""Accounts, the limits the operator sets them, and their API keys."""

from datetime import datetime

from pydantic import BaseModel, Field

from mailhooks import clock
from mailhooks.models import Plan


class AccountLimits(BaseModel):
    """What the platform operator allows one account; a limit left out is the platform's default (the
    template's parameters)."""

    emails_per_hour: int | None = Field(None, ge=0)
    sms_per_hour: int | None = Field(None, ge=0)
    # ISO 3166 region codes SMS may go to, such as ES.
    sms_countries: list[str] | None = None
    # Alphanumeric sender ids the operator registered for the account; no other may be used.
    sms_sender_ids: list[str] = []
    # The most an owner may set on each of the account's inbound webhooks.
    webhook_calls_per_second: int | None = Field(None, ge=1)
    webhook_burst: int | None = Field(None, ge=1)


class Account(BaseModel):
    id: int
    name: str
    plan: Plan
    limits: AccountLimits = AccountLimits()
    created_at: datetime = Field(default_factory=clock.now)


class ApiKey(BaseModel):
    """A key an account's software uses on the admin API; the key itself is stored only as a hash."""

    id: str
    account_id: int
    name: str
    # The key's first characters, so that its owner can tell which key this is.
    prefix: str
    created_at: datetime = Field(default_factory=clock.now)
