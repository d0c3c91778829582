"""Inbound webhooks and their call log: plain dataclasses (mailhooks.json_form), so that the inbound function,
whose cold start is the latency of the system calling it, imports no pydantic."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import DEFAULT_REPLAY_WINDOW_SECONDS, JsonValue
from mailhooks.models.accounts import Account
from mailhooks.models.lists import MailingList


@dataclass(frozen=True)
class WebhookStats:
    success_count: int = 0
    error_count: int = 0
    last_call_at: datetime | None = None


@dataclass(frozen=True)
class InboundCallRecord:
    """One answered call of an inbound webhook, as its owner sees it in the call log."""

    at: datetime
    status: int
    # The received body as text, cut to its first 4 KiB.
    body: str
    # The answer of an identical call within the webhook's window, given again: nothing ran.
    replayed: bool = False
    error: str | None = None
    truncated: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "InboundCallRecord":
        """The call its JSON form (an item, numbers made plain) stands for."""
        return cls(**own_fields(cls, data, times=("at",)))


@dataclass(frozen=True)
class InboundWebhook:
    id: str
    account_id: int
    token: str
    name: str
    operation: str
    # Operation parameter (or custom field of the list) -> JSON Pointer into the received payload.
    mapping: dict[str, str]
    sample_payload: JsonValue = None
    list_id: int | None = None
    active: bool = True
    # The next call is stored as the sample payload instead of running the operation.
    listening: bool = False
    # The owner's own pace for the webhook, at most the account's; None: the account's.
    calls_per_second: int | None = None
    burst: int | None = None
    # A call that repeats one carried out within this many seconds (same parameters, or the same delivery id
    # in a header) gets that call's answer and runs nothing; 0: every call runs.
    replay_window_seconds: int = DEFAULT_REPLAY_WINDOW_SECONDS
    # Milliseconds since the epoch, the state of the webhook's pace (inbound.pace); never an owner's.
    paced_until: int = 0
    stats: WebhookStats = field(default_factory=WebhookStats)
    created_at: datetime = field(default_factory=clock.now)
    updated_at: datetime = field(default_factory=clock.now)
    # What a call needs of the webhook's account and list, carried on its item so that a call reads one
    # item: copied as the webhook is saved, and the account again as the operator changes it (a list never
    # changes). None on an item saved before they were carried: the call reads them.
    account: Account | None = None
    webhook_list: MailingList | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "InboundWebhook":
        """The webhook its JSON form (its item's fields, numbers made plain, stats among them) stands for."""
        values = own_fields(cls, data, times=("created_at", "updated_at"))
        values["stats"] = WebhookStats(**own_fields(WebhookStats, data, times=("last_call_at",)))
        if values.get("account") is not None:
            values["account"] = Account.of(values["account"])
        if values.get("webhook_list") is not None:
            values["webhook_list"] = MailingList.of(values["webhook_list"])
        return cls(**values)
