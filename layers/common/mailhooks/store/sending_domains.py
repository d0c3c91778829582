"""The domains each account sends email from, in the data table; a domain belongs to one account at most."""

from dataclasses import dataclass

from mailhooks.aws import aws
from mailhooks.models import SendingDomain
from mailhooks.store.items import Item, Records, to_item, update
from mailhooks.store.keys import account_key


def _claim_key(domain: str) -> dict[str, str]:
    return {"pk": f"DOMAIN#{domain}", "sk": "DOMAIN"}


@dataclass(frozen=True)
class SendingDomainRecords(Records):
    def claim_sending_domain(self, domain: SendingDomain) -> bool:
        """Store the account's new domain and its claim, both or neither; False when any account has it."""
        claim = {**_claim_key(domain.domain), "account_id": domain.account_id}
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": claim,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": to_item(domain, account_key(domain.account_id), f"DOMAIN#{domain.domain}"),
                    }
                },
            ]
        )

    def get_sending_domain(self, account_id: int, domain: str) -> SendingDomain | None:
        item = self._get(account_key(account_id), f"DOMAIN#{domain}")
        return SendingDomain.of(item) if item else None

    def verified_check(self, account_id: int, domain: str) -> Item:
        """The check, in a transaction, that the domain is the account's and was seen verified."""
        return {
            "ConditionCheck": {
                "TableName": self.table.name,
                "Key": {"pk": account_key(account_id), "sk": f"DOMAIN#{domain}"},
                "ConditionExpression": "verified = :true",
                "ExpressionAttributeValues": {":true": True},
            }
        }

    def sending_domains(self, account_id: int) -> list[SendingDomain]:
        items = self._query(account_key(account_id), "DOMAIN#")
        return [SendingDomain.of(item) for item in items]

    def save_ses_state(self, domain: SendingDomain) -> None:
        """Save what SES last said of the domain: its DKIM tokens and whether it is verified."""
        update(
            self.table,
            {"pk": account_key(domain.account_id), "sk": f"DOMAIN#{domain.domain}"},
            "SET verified = :verified, dkim_tokens = :tokens",
            "attribute_exists(pk)",
            verified=domain.verified,
            tokens=domain.dkim_tokens,
        )

    def release_sending_domain(self, account_id: int, domain: str) -> bool:
        """Delete the account's domain and its claim; False when the account has no such domain."""
        return self._transact(
            [
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": {"pk": account_key(account_id), "sk": f"DOMAIN#{domain}"},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {"Delete": {"TableName": self.table.name, "Key": _claim_key(domain)}},
            ]
        )


def sending_domain_records() -> SendingDomainRecords:
    return SendingDomainRecords(aws().data_table)
