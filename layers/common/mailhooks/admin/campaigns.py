"""Campaigns: A/B campaigns created here, and every campaign read with how each A/B variant did."""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Self

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import ConfigDict, Field, model_validator

from mailhooks.admin.base import Body, account_id, new_router
from mailhooks.aws import aws
from mailhooks.body_fields import Email, Id, Line
from mailhooks.errors import NotFound
from mailhooks.gateway import GatewayRequest
from mailhooks.links import api_base_url
from mailhooks.models import AbTest, Campaign, CampaignStatus, Variant, WinnerBy
from mailhooks.sending.ab_tests import check_campaign
from mailhooks.sending.campaign_sender import queue_new_campaign
from mailhooks.settings import settings
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.counters import next_id

router = new_router()
PATH = "/admin/campaigns"
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NewVariant(Body):
    model_config = ConfigDict(extra="forbid")

    subject: Line | None = Field(
        None, min_length=1, max_length=998, description="The campaign's if left out."
    )
    template_id: Id | None = Field(None, description="The campaign's if left out.")


class NewAbCampaign(Body):
    """An A/B campaign: 2 to 4 variants (of the subject, the template, or both) sent to a test share of the
    recipients, split evenly; after the wait, the variant with the most opens or clicks goes to the rest."""

    model_config = ConfigDict(extra="forbid")

    name: Line = Field(min_length=1, max_length=200)
    from_name: Line = Field(min_length=1, max_length=200)
    from_email: Email = Field(description="Of a sending domain of the account's, verified.")
    subject: Line | None = Field(
        None, min_length=1, max_length=998, description="Of each variant without its own."
    )
    template_id: Id | None = Field(None, description="Of each variant without its own.")
    lists: list[Id] = Field(min_length=1, description="The lists sent to; an address in two gets one email.")
    variants: list[NewVariant] = Field(min_length=2, max_length=4)
    test_share: int = Field(ge=1, le=100, description="Percent of the recipients the variants are tested on.")
    wait_seconds: int = Field(
        ge=60, le=7 * 24 * 3600, description="Between the test and the winner's sending."
    )
    winner_by: WinnerBy = Field(description="opens or clicks: recipients who did, each counted once.")

    @model_validator(mode="after")
    def _every_variant_complete(self) -> Self:
        self.complete_variants()
        return self

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


class VariantView(Body):
    variant: int = Field(description="Its number, 1 and on.")
    subject: str
    template_id: int
    sends: int
    opens: int = Field(description="Recipients who opened it, each counted once.")
    clicks: int = Field(description="Recipients who clicked a link of it, each counted once.")


class CampaignView(Body):
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
    variants: list[VariantView] = Field(default=[], description="An A/B campaign's; none for others.")
    winner: int | None = Field(None, description="The winning variant's number, once chosen.")
    winner_due_at: datetime | None = None
    created_at: datetime


def _view(campaign: Campaign) -> CampaignView:
    ab_test = campaign.ab_test
    ab = {}
    if ab_test:
        ab = {
            "test_share": ab_test.test_share,
            "wait_seconds": ab_test.wait_seconds,
            "winner_by": ab_test.winner_by,
            "winner_due_at": ab_test.winner_due_at,
            "variants": [
                VariantView(variant=n + 1, **asdict(variant)) for n, variant in enumerate(ab_test.variants)
            ],
            "winner": None if ab_test.winner is None else ab_test.winner + 1,
        }
    return CampaignView(
        id=campaign.id,
        name=campaign.name,
        from_name=campaign.from_name,
        from_email=campaign.from_email,
        list_ids=campaign.list_ids,
        status=campaign.status,
        sent_count=campaign.sent_count,
        created_at=campaign.created_at,
        **ab,
    )


@router.post(
    PATH, summary="Create an A/B campaign and queue it", responses={201: {"description": "The campaign"}}
)
def create(new: NewAbCampaign) -> tuple[CampaignView, int]:
    variants = new.complete_variants()
    campaign = Campaign(
        id=next_id("campaign"),
        account_id=account_id(router),
        name=new.name,
        from_name=new.from_name,
        from_email=new.from_email,
        subject=variants[0].subject,
        list_ids=list(dict.fromkeys(new.lists)),
        template_id=variants[0].template_id,
        base_url=api_base_url(GatewayRequest.of(router.current_event.raw_event)),
        ab_test=AbTest(
            variants=variants,
            test_share=new.test_share,
            wait_seconds=new.wait_seconds,
            winner_by=new.winner_by,
        ),
    )
    check_campaign(campaign)
    queue_new_campaign(aws(), settings(), campaign)
    return _view(campaign), 201


@router.get(
    f"{PATH}/<campaign_id>", summary="A campaign; an A/B one with each variant's sends, opens and clicks"
)
def read(campaign_id: PathId) -> CampaignView:
    found = campaign_records().get_campaign(account_id(router), campaign_id)
    if found is None:
        raise NotFound(f"campaign {campaign_id} was not found")
    return _view(found)
