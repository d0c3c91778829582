"""Templates and campaigns, in the data table, the claims of a campaign's recipients, and the opens and
clicks of an A/B campaign's recipients, each counted once."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Attr

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.models import Campaign, CampaignStatus, EmailTemplate, RecipientCursor
from mailhooks.store.items import Item, Records, put, to_item, update
from mailhooks.store.keys import account_key, padded

# Longer than any campaign takes to send.
CLAIM_RETENTION = timedelta(days=30)


@dataclass(frozen=True)
class CampaignRecords(Records):
    def put_template(self, template: EmailTemplate) -> None:
        self._put_owned(template, "TEMPLATE")

    def get_template(self, account_id: int, template_id: int) -> EmailTemplate | None:
        item = self._get_owned(account_id, "TEMPLATE", template_id)
        return EmailTemplate.of(item) if item else None

    def templates(self, account_id: int) -> list[EmailTemplate]:
        return [EmailTemplate.of(item) for item in self._query(account_key(account_id), "TEMPLATE#")]

    def template_check(self, account_id: int, template_id: int) -> Item:
        """The check, in a transaction, that the template is the account's."""
        key = {"pk": account_key(account_id), "sk": padded("TEMPLATE", template_id)}
        check = {"TableName": self.table.name, "Key": key, "ConditionExpression": "attribute_exists(pk)"}
        return {"ConditionCheck": check}

    def put_campaign(self, campaign: Campaign) -> None:
        self._put_owned(campaign, "CAMPAIGN")

    def campaign_put(self, campaign: Campaign) -> Item:
        """A new campaign's write, for a transaction."""
        item = to_item(campaign, account_key(campaign.account_id), padded("CAMPAIGN", campaign.id))
        return {"Put": {"TableName": self.table.name, "Item": item}}

    def campaign_delete(self, campaign: Campaign) -> Item:
        key = {"pk": account_key(campaign.account_id), "sk": padded("CAMPAIGN", campaign.id)}
        return {"Delete": {"TableName": self.table.name, "Key": key}}

    def get_campaign(self, account_id: int, campaign_id: int) -> Campaign | None:
        item = self._get_owned(account_id, "CAMPAIGN", campaign_id)
        return Campaign.of(item) if item else None

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
        self,
        campaign: Campaign,
        status: CampaignStatus,
        cursor: RecipientCursor | None,
        sent: int,
        variant_sends: dict[int, int] | None = None,
    ) -> None:
        """Save where the campaign sender got to, and count what it sent on the way (each A/B variant's
        too, by its index)."""
        counted = "".join(
            f", ab_test.variants[{index}].sends = ab_test.variants[{index}].sends + :sends{index}"
            for index in variant_sends or {}
        )
        self.table.update_item(
            Key=self._campaign_key(campaign),
            UpdateExpression=f"SET #status = :status, #cursor = :cursor{counted} ADD sent_count :sent",
            ConditionExpression=Attr("pk").exists(),
            ExpressionAttributeNames={"#status": "status", "#cursor": "cursor"},
            ExpressionAttributeValues={
                ":status": status,
                ":cursor": asdict(cursor) if cursor else None,
                ":sent": sent,
                **{f":sends{index}": count for index, count in (variant_sends or {}).items()},
            },
        )

    def wait_for_winner(self, campaign: Campaign, due_at: datetime) -> None:
        """An A/B campaign's test is sent: its winner is chosen at due_at."""
        update(
            self.table,
            self._campaign_key(campaign),
            "SET #status = :waiting, ab_test.winner_due_at = :due_at",
            "#status = :testing",
            waiting="waiting",
            testing="testing",
            due_at=due_at.isoformat(),
        )

    def start_winner(self, campaign: Campaign, winner: int, cursor: RecipientCursor) -> bool:
        """Send the A/B campaign's winning variant to the rest, from the cursor; False when another
        invocation chose the winner already."""
        return update(
            self.table,
            self._campaign_key(campaign),
            "SET #status = :sending, ab_test.winner = :winner, #cursor = :cursor",
            "#status = :waiting",
            sending="sending",
            waiting="waiting",
            winner=winner,
            cursor=asdict(cursor),
        )

    def count_reaction(
        self, account_id: int, campaign_id: int, variant: int, reaction: str, email: str
    ) -> bool:
        """Count an open or a click (reaction: "opens", "clicks") of an A/B variant, once per recipient;
        False when it was counted before, or the campaign is no A/B campaign of the account's."""
        marker = {
            "pk": f"CAMPAIGN#{campaign_id}",
            "sk": f"{reaction.upper()}#{email.lower()}",
            "expires_at": int((clock.now() + CLAIM_RETENTION).timestamp()),
        }
        counter = f"ab_test.variants[{variant}].{reaction}"
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": marker,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": {"pk": account_key(account_id), "sk": padded("CAMPAIGN", campaign_id)},
                        "UpdateExpression": f"SET {counter} = {counter} + :one",
                        "ConditionExpression": f"attribute_exists({counter})",
                        "ExpressionAttributeValues": {":one": 1},
                    }
                },
            ]
        )

    def _campaign_key(self, campaign: Campaign) -> dict[str, str]:
        return {"pk": account_key(campaign.account_id), "sk": padded("CAMPAIGN", campaign.id)}


def campaign_records() -> CampaignRecords:
    return CampaignRecords(aws().data_table)
