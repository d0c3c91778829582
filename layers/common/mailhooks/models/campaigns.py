"""Templates, and the campaigns that send them, A/B tested or not: plain dataclasses, as the outbound records
are (mailhooks.json_form), so that the campaign sender imports no pydantic."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import CampaignStatus, WinnerBy


@dataclass(frozen=True)
class EmailTemplate:
    id: int
    account_id: int
    name: str
    html: str
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "EmailTemplate":
        """The template its JSON form (an item, numbers made plain) stands for."""
        return cls(**own_fields(cls, data, times=("created_at",)))


@dataclass(frozen=True)
class RecipientCursor:
    """A position in a campaign's recipients: after the address `after` of list `list_id` (from the list's
    start when None)."""

    list_id: int
    after: str | None = None


@dataclass(frozen=True)
class Variant:
    """One version of an A/B campaign, and what its recipients did with it."""

    subject: str
    template_id: int
    sends: int = 0
    # Recipients who opened or clicked it, each counted once.
    opens: int = 0
    clicks: int = 0


@dataclass(frozen=True)
class AbTest:
    """How an A/B campaign tests its variants (2 to 4): a share of its recipients split evenly among them,
    and after the wait, the variant with the most opens (or clicks) sent to the rest."""

    variants: list[Variant]
    # Percent of the recipients, each drawn by a hash of the campaign and its address.
    test_share: int
    wait_seconds: int
    winner_by: WinnerBy
    # Index of the winning variant, once chosen.
    winner: int | None = None
    winner_due_at: datetime | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "AbTest":
        values = own_fields(cls, data, times=("winner_due_at",))
        values["variants"] = [Variant(**own_fields(Variant, variant)) for variant in values["variants"]]
        return cls(**values)


@dataclass(frozen=True)
class Campaign:
    id: int
    account_id: int
    name: str
    from_name: str
    from_email: str
    subject: str
    list_ids: list[int]
    template_id: int
    # Where the API was reached when the campaign was queued: its emails' unsubscribe links point there.
    base_url: str
    status: CampaignStatus = "queued"
    sent_count: int = 0
    # Where the campaign sender resumes; None before it starts and once it is done.
    cursor: RecipientCursor | None = None
    ab_test: AbTest | None = None
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "Campaign":
        """The campaign its JSON form (an item, numbers made plain) stands for."""
        values = own_fields(cls, data, times=("created_at",))
        if (cursor := values.get("cursor")) is not None:
            values["cursor"] = RecipientCursor(**own_fields(RecipientCursor, cursor))
        if (ab_test := values.get("ab_test")) is not None:
            values["ab_test"] = AbTest.of(ab_test)
        return cls(**values)
