"""Templates and campaigns, in the data table, and the claims of a campaign's recipients."""

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Attr

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.models import Campaign, CampaignStatus, EmailTemplate, RecipientCursor
from mailhooks.store.items import Records, put
from mailhooks.store.keys import account_key, padded

if TYPE_CHECKING:
    pass


# Longer than any campaign takes to send.
CLAIM_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class CampaignRecords(Records):
    def put_template(self, template: EmailTemplate) -> None:
        self._put_owned(template, "TEMPLATE")

    def get_template(self, account_id: int, template_id: int) -> EmailTemplate | None:
        return self._get_owned(EmailTemplate, account_id, "TEMPLATE", template_id)

    def templates(self, account_id: int) -> list[EmailTemplate]:
        return [
            EmailTemplate.model_validate(item) for item in self._query(account_key(account_id), "TEMPLATE#")
        ]

    def put_campaign(self, campaign: Campaign) -> None:
        self._put_owned(campaign, "CAMPAIGN")

    def get_campaign(self, account_id: int, campaign_id: int) -> Campaign | None:
        return self._get_owned(Campaign, account_id, "CAMPAIGN", campaign_id)

    def delete_campaign(self, account_id: int, campaign_id: int) -> None:
        self.table.delete_item(Key={"pk": account_key(account_id), "sk": padded("CAMPAIGN", campaign_id)})

    # subscribers

    def claim_campaign_recipient(self, campaign_id: int, email: str) -> bool:
        """Claim the address for the one email the campaign sends it; False when it is claimed already."""
        claim = {
            "pk": f"CAMPAIGN#{campaign_id}",
            "sk": f"SENT#{email.lower()}",
            "expires_at": int((clock.now() + CLAIM_RETENTION).timestamp()),
        }
        return put(self.table, claim, Attr("pk").not_exists())

    def release_campaign_recipient(self, campaign_id: int, email: str) -> None:
        """Give back the claim of an address whose email could not be sent."""
        self.table.delete_item(Key={"pk": f"CAMPAIGN#{campaign_id}", "sk": f"SENT#{email.lower()}"})

    def advance_campaign(
        self, campaign: Campaign, status: CampaignStatus, cursor: RecipientCursor | None, sent: int
    ) -> None:
        """Save where the campaign sender got to, and count what it sent on the way."""
        self.table.update_item(
            Key={"pk": account_key(campaign.account_id), "sk": padded("CAMPAIGN", campaign.id)},
            UpdateExpression="SET #status = :status, #cursor = :cursor ADD sent_count :sent",
            ConditionExpression=Attr("pk").exists(),
            ExpressionAttributeNames={"#status": "status", "#cursor": "cursor"},
            ExpressionAttributeValues={
                ":status": status,
                ":cursor": cursor.model_dump() if cursor else None,
                ":sent": sent,
            },
        )

    # export endpoints


def campaign_records() -> CampaignRecords:
    return CampaignRecords(aws().data_table)
