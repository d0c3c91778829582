"""A/B campaigns: which recipients are in the test, which variant each gets, and which variant won.

A share of the recipients, each drawn by a hash of the campaign and its address (so that a page sent again
draws the same ones), gets the variants, each recipient the variant sent least so far: the test share is
split evenly. After the wait, the variant with the most recipients who opened (or clicked) it wins, the
first on a tie, and goes to every recipient the test left out.
"""

import hashlib
from dataclasses import dataclass, field

from mailhooks.errors import NotFound
from mailhooks.models import AbTest, Campaign, EmailTemplate
from mailhooks.sending.sending_domains import sender_identity
from mailhooks.store.campaigns import campaign_records
from mailhooks.store.lists import list_records


@dataclass(frozen=True)
class Version:
    """What a recipient is sent: for an A/B campaign, one of its variants, by index."""

    subject: str
    template: EmailTemplate
    variant: int | None = None


def in_test(campaign_id: int, email: str, share: int) -> bool:
    """Whether the address is in the campaign's test share (a percentage), drawn the same every time."""
    digest = hashlib.sha256(f"{campaign_id}/{email.lower()}".encode()).digest()
    return int.from_bytes(digest[:8]) % 100 < share


def winner_of(ab_test: AbTest) -> int:
    """The index of the variant with the most opens, or clicks; the first of those tied."""
    scores = [getattr(variant, ab_test.winner_by) for variant in ab_test.variants]
    return scores.index(max(scores))


@dataclass
class Versions:
    """Which version each recipient of a campaign gets, as its sending goes on."""

    campaign: Campaign
    templates: dict[int, EmailTemplate]
    # Sends of each variant so far: the test's next recipient gets the one sent least.
    sends: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.campaign.ab_test:
            self.sends = [variant.sends for variant in self.campaign.ab_test.variants]

    def _variant(self, index: int) -> Version:
        variant = self.campaign.ab_test.variants[index]  # type: ignore[union-attr]
        return Version(variant.subject, self.templates[variant.template_id], index)

    def of(self, email: str) -> Version | None:
        """The version for the address; None for one the test leaves for the winner."""
        ab_test = self.campaign.ab_test
        if ab_test is None:
            return Version(self.campaign.subject, self.templates[self.campaign.template_id])
        if ab_test.winner is not None:
            return self._variant(ab_test.winner)
        if not in_test(self.campaign.id, email, ab_test.test_share):
            return None
        return self._variant(self.sends.index(min(self.sends)))

    def sent(self, version: Version) -> None:
        if version.variant is not None:
            self.sends[version.variant] += 1


def check_campaign(campaign: Campaign) -> None:
    """That the campaign can be sent: its sender's domain the account's and verified, its lists and
    templates the account's; else the first that is not, named."""
    sender_identity(campaign.account_id, campaign.from_email)
    for list_id in campaign.list_ids:
        if list_records().get_list(campaign.account_id, list_id) is None:
            raise NotFound(f"list {list_id} was not found")
    variants = campaign.ab_test.variants if campaign.ab_test else []
    for template_id in dict.fromkeys([campaign.template_id, *(v.template_id for v in variants)]):
        if campaign_records().get_template(campaign.account_id, template_id) is None:
            raise NotFound(f"template {template_id} was not found")
