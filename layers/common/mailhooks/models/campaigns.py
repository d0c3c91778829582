"""Templates, and the campaigns that send them, A/B tested or not."""

from datetime import datetime

from pydantic import BaseModel, Field

from mailhooks import clock
from mailhooks.models import CampaignStatus, WinnerBy


class EmailTemplate(BaseModel):
    id: int
    account_id: int
    name: str
    html: str
    created_at: datetime = Field(default_factory=clock.now)


class RecipientCursor(BaseModel):
    """A position in a campaign's recipients: after the address `after` of list `list_id` (from the list's
    start when None)."""

    list_id: int
    after: str | None = None


class Variant(BaseModel):
    """One version of an A/B campaign, and what its recipients did with it."""

    subject: str
    template_id: int
    sends: int = 0
    # Recipients who opened or clicked it, each counted once.
    opens: int = 0
    clicks: int = 0


class AbTest(BaseModel):
    """How an A/B campaign tests its variants: a share of its recipients split evenly among them, and after
    the wait, the variant with the most opens (or clicks) sent to the rest."""

    variants: list[Variant] = Field(min_length=2, max_length=4)
    # Percent of the recipients, each drawn by a hash of the campaign and its address.
    test_share: int
    wait_seconds: int
    winner_by: WinnerBy
    # Index of the winning variant, once chosen.
    winner: int | None = None
    winner_due_at: datetime | None = None


class Campaign(BaseModel):
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
    created_at: datetime = Field(default_factory=clock.now)
