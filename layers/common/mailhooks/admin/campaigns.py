"""Campaigns: A/B campaigns created here, and every campaign read with how each A/B variant did."""

from dataclasses import dataclass, replace
from datetime import datetime

from mailhooks.admin.base import account_id, current_request, route, view_of
from mailhooks.aws import aws
from mailhooks.bodies import (
    EMAIL,
    ID_SHAPE,
    body_field,
    choice,
    described,
    line,
    list_of,
    nested,
    nullable,
    whole,
)
from mailhooks.errors import NotFound
from mailhooks.links import api_base_url
from mailhooks.models import AbTest, Campaign, CampaignStatus, Variant, WinnerBy
from mailhooks.sending.ab_tests import check_campaign
from mailhooks.sending.campaign_sender import queue_new_campaign
from mailhooks.settings import settings
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id

PATH = "/admin/campaigns"
SUBJECT = nullable(line(1, 998))


@dataclass(frozen=True, kw_only=True)
class NewVariant:
    subject: str | None = body_field(SUBJECT, "The campaign's if left out.", default=None)
    template_id: int | None = body_field(nullable(ID_SHAPE), "The campaign's if left out.", default=None)


@dataclass(frozen=True, kw_only=True)
class NewAbCampaign:
    """An A/B campaign: 2 to 4 variants (of the subject, the template, or both) sent to a test share of the
    recipients, split evenly; after the wait, the variant with the most opens or clicks goes to the rest."""

    name: str = body_field(line(1, 200))
    from_name: str = body_field(line(1, 200))
    from_email: str = body_field(EMAIL, "Of a sending domain of the account's, verified.")
    subject: str | None = body_field(SUBJECT, "Of each variant without its own.", default=None)
    template_id: int | None = body_field(nullable(ID_SHAPE), "Of each variant without its own.", default=None)
    lists: list[int] = body_field(
        list_of(ID_SHAPE, min_length=1), "The lists sent to; an address in two gets one email."
    )
    variants: list[NewVariant] = body_field(list_of(nested(NewVariant), min_length=2, max_length=4))
    test_share: int = body_field(whole(1, 100), "Percent of the recipients the variants are tested on.")
    wait_seconds: int = body_field(whole(60, 7 * 24 * 3600), "Between the test and the winner's sending.")
    winner_by: WinnerBy = body_field(
        choice(["opens", "clicks"]), "opens or clicks: recipients who did, each counted once."
    )

    def __post_init__(self) -> None:
        self.complete_variants()

    def complete_variants(self) -> list[Variant]:
        """Each variant, with the campaign's subject and template where it has none of its own; a ValueError
        names each that has neither."""
        complete: list[Variant] = []
        incomplete: list[str] = []
        for n, variant in enumerate(self.variants):
            subject = variant.subject or self.subject
            template_id = variant.template_id or self.template_id
            missing = [
                what for what, value in (("subject", subject), ("template_id", template_id)) if value is None
            ]
            incomplete += [f"variants.{n}: needs a {what}, or the campaign's" for what in missing]
            if subject is not None and template_id is not None:
                complete.append(Variant(subject=subject, template_id=template_id))
        if incomplete:
            raise ValueError("; ".join(incomplete))
        return complete


@dataclass(frozen=True, kw_only=True)
class VariantView:
    variant: int = described("Its number, 1 and on.")
    subject: str
    template_id: int
    sends: int
    opens: int = described("Recipients who opened it, each counted once.")
    clicks: int = described("Recipients who clicked a link of it, each counted once.")


@dataclass(frozen=True, kw_only=True)
class CampaignView:
    id: int
    name: str
    from_name: str
    from_email: str
    list_ids: list[int]
    status: CampaignStatus
    sent_count: int
    test_share: int | None = None
    wait_seconds: int | None = None
    winner_by: WinnerBy | None = None
    variants: list[VariantView] = described("An A/B campaign's; none for others.", default=[])
    winner: int | None = described("The winning variant's number, once chosen.", default=None)
    winner_due_at: datetime | None = None
    created_at: datetime


def _view(campaign: Campaign) -> CampaignView:
    view = view_of(CampaignView, campaign)
    ab_test = campaign.ab_test
    if ab_test is None:
        return view
    return replace(
        view,
        test_share=ab_test.test_share,
        wait_seconds=ab_test.wait_seconds,
        winner_by=ab_test.winner_by,
        winner_due_at=ab_test.winner_due_at,
        variants=[view_of(VariantView, variant, variant=n + 1) for n, variant in enumerate(ab_test.variants)],
        winner=None if ab_test.winner is None else ab_test.winner + 1,
    )


@route(
    "post",
    PATH,
    "Create an A/B campaign and queue it",
    body=NewAbCampaign,
    status=201,
    answered="The campaign",
)
def create(new: NewAbCampaign) -> CampaignView:
    variants = new.complete_variants()
    campaign = Campaign(
        id=next_id("campaign"),
        account_id=account_id(),
        name=new.name,
        from_name=new.from_name,
        from_email=new.from_email,
        subject=variants[0].subject,
        list_ids=list(dict.fromkeys(new.lists)),
        template_id=variants[0].template_id,
        base_url=api_base_url(current_request()),
        ab_test=AbTest(
            variants=variants,
            test_share=new.test_share,
            wait_seconds=new.wait_seconds,
            winner_by=new.winner_by,
        ),
    )
    check_campaign(campaign)
    queue_new_campaign(aws(), settings(), campaign)
    return _view(campaign)


@route(
    "get",
    f"{PATH}/<campaign_id>",
    "A campaign; an A/B one with each variant's sends, opens and clicks",
    ids=("campaign_id",),
)
def read(campaign_id: int) -> CampaignView:
    found = campaign_records().get_campaign(account_id(), campaign_id)
    if found is None:
        raise NotFound(f"campaign {campaign_id} was not found")
    return _view(found)
