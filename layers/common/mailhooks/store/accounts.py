"""Accounts and their API keys, in the data table."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailhooks import models
from mailhooks.aws import aws
from mailhooks.store.items import Records, dynamo_data, plain, to_item, update
from mailhooks.store.keys import account_key

# The models built at their first use (mailhooks.models): the authorizer finds keys and reads no record.
if TYPE_CHECKING:
    from mailhooks.models import Account, ApiKey


@dataclass(frozen=True)
class AccountRecords(Records):
    def put_account(self, account: "Account") -> None:
        self.table.put_item(Item=to_item(account, account_key(account.id), "ACCOUNT"))

    def get_account(self, account_id: int) -> "Account | None":
        item = self._get(account_key(account_id), "ACCOUNT")
        return models.Account.of(plain(item)) if item else None

    def change_account(self, account: "Account", *names: str) -> bool:
        """Save some of an account's fields, leaving the rest as they are; False when it is gone."""
        data = dynamo_data(account)
        return update(
            self.table,
            {"pk": account_key(account.id), "sk": "ACCOUNT"},
            "SET " + ", ".join(f"#{name} = :{name}" for name in names),
            "attribute_exists(pk)",
            **{name: data[name] for name in names},
        )

    # API keys: found by their hash, listed under their account

    def put_api_key(self, key: "ApiKey", key_hash: str) -> None:
        found = {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY", "account_id": key.account_id, "key_id": key.id}
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": found,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": {
                            **to_item(key, account_key(key.account_id), f"APIKEY#{key.id}"),
                            "key_hash": key_hash,
                        },
                    }
                },
            ]
        )

    def find_api_key(self, key_hash: str) -> int | None:
        """The account whose key has this hash."""
        item = self._get(f"APIKEY#{key_hash}", "APIKEY")
        return int(item["account_id"]) if item else None

    def api_keys(self, account_id: int) -> list["ApiKey"]:
        listed = self._query(account_key(account_id), "APIKEY#")
        return [models.ApiKey.of(plain(item)) for item in listed]

    def delete_api_key(self, account_id: int, key_id: str) -> bool:
        """False when the account has no such key."""
        listed = self._get(account_key(account_id), f"APIKEY#{key_id}")
        if listed is None:
            return False
        self._transact(
            [
                {"Delete": {"TableName": self.table.name, "Key": {"pk": listed["pk"], "sk": listed["sk"]}}},
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": {"pk": f"APIKEY#{listed['key_hash']}", "sk": "APIKEY"},
                    }
                },
            ]
        )
        return True

    # lists, templates, campaigns: numbered records of an account


def account_records() -> AccountRecords:
    return AccountRecords(aws().data_table)
