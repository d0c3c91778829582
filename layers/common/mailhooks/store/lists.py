"""Lists and their subscribers, in the data table, with the links of subscription emails."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from mailhooks.aws import aws
from mailhooks.models import (
    MailingList,
    Subscriber,
)
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_put
from mailhooks.store.items import Item, Records, cancelled, condition_failed, plain, to_item
from mailhooks.store.keys import account_key, padded, subscriber_key

# What unsubscribing did: changed the status; found it unsubscribed already; found no such subscriber; or
# nothing, as a write made with it failed its condition.
Unsubscribed = Literal["changed", "unchanged", "no subscriber", "refused"]


@dataclass(frozen=True)
class ListMember:
    """The subscriber a subscription link stands for: an address in one list of one account."""

    account_id: int
    list_id: int
    email: str


def _member(item: Item | None) -> ListMember | None:
    return ListMember(item["account_id"], item["list_id"], item["email"]) if item else None


@dataclass(frozen=True)
class SubscriberPage:
    subscribers: list[Subscriber]
    # The address the next page starts after; None when this page ends the list.
    last: str | None


@dataclass(frozen=True)
class ListRecords(Records):
    # ids

    def put_list(self, mailing_list: MailingList) -> None:
        self._put_owned(mailing_list, "LIST")

    def get_list(self, account_id: int, list_id: int) -> MailingList | None:
        item = self._get_owned(account_id, "LIST", list_id)
        return MailingList.of(item) if item else None

    def lists(self, account_id: int) -> list[MailingList]:
        return [MailingList.of(item) for item in self._query(account_key(account_id), "LIST#")]

    def get_subscriber(self, list_id: int, email: str) -> Subscriber | None:
        key = subscriber_key(list_id, email)
        item = self._get(key["pk"], key["sk"])
        return Subscriber.of(item) if item else None

    def create_subscriber(
        self,
        subscriber: Subscriber,
        account_id: int,
        subscribed: ActivityRecord | None = None,
        written_with: Sequence[Item] = (),
    ) -> bool:
        """Store a new subscriber, and its subscribe activity when given, and the writes given, in one
        transaction; False when the list already has that address (nothing is written)."""
        key = subscriber_key(subscriber.list_id, subscriber.email)
        put: Item = {
            "TableName": self.table.name,
            "Item": to_item(subscriber, key["pk"], key["sk"]),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        writes: list[Item] = [{"Put": put}]
        if subscribed:
            writes.append(activity_put(subscribed))
        writes.extend(written_with)
        if subscriber.confirm_token:
            pending = {"account_id": account_id, "list_id": subscriber.list_id, "email": subscriber.email}
            writes.append(
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": {"pk": f"CONFIRM#{subscriber.confirm_token}", "sk": "CONFIRM", **pending},
                    }
                }
            )
        return self._transact(writes)

    def remove_new_subscriber(self, subscriber: Subscriber) -> None:
        """Undo create_subscriber when what had to follow it failed."""
        key = subscriber_key(subscriber.list_id, subscriber.email)
        writes: list[Item] = [
            {
                "Delete": {
                    "TableName": self.table.name,
                    "Key": key,
                    "ConditionExpression": "id = :id",
                    "ExpressionAttributeValues": {":id": subscriber.id},
                }
            }
        ]
        if subscriber.confirm_token:
            writes.append(
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": {"pk": f"CONFIRM#{subscriber.confirm_token}", "sk": "CONFIRM"},
                    }
                }
            )
        self.table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]

    def update_subscriber_fields(
        self, list_id: int, email: str, fields: dict[str, Any], at: datetime
    ) -> None:
        names = {f"#f{index}": name for index, name in enumerate(fields)}
        values = {f":f{index}": value for index, value in enumerate(fields.values())}
        assignments = [f"#fields.{name} = {value}" for name, value in zip(names, values, strict=True)]
        self.table.update_item(
            Key=subscriber_key(list_id, email),
            UpdateExpression="SET " + ", ".join(["updated_at = :at", *assignments]),
            ConditionExpression=Attr("pk").exists(),
            ExpressionAttributeNames={"#fields": "fields", **names},
            ExpressionAttributeValues=json.loads(
                json.dumps({":at": at.isoformat(), **values}), parse_float=Decimal
            ),
        )

    def pending_confirmation(self, token: str) -> ListMember | None:
        return _member(self._get(f"CONFIRM#{token}", "CONFIRM"))

    def confirm_subscriber(self, token: str, member: ListMember, activity: ActivityRecord) -> bool:
        """Activate the subscriber the token confirms, use the token up and write the subscribe activity,
        all or nothing; False when the token is used up already."""
        activate: Item = {
            "TableName": self.table.name,
            "Key": subscriber_key(member.list_id, member.email),
            "UpdateExpression": "SET #status = :active, updated_at = :at "
            "REMOVE confirm_token, welcome_on_confirm",
            "ConditionExpression": "confirm_token = :token",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":active": "active",
                ":at": activity.occurred_at.isoformat(),
                ":token": token,
            },
        }
        use_up: Item = {
            "TableName": self.table.name,
            "Key": {"pk": f"CONFIRM#{token}", "sk": "CONFIRM"},
            "ConditionExpression": "attribute_exists(pk)",
        }
        return self._transact([{"Update": activate}, {"Delete": use_up}, activity_put(activity)])

    def unsubscribe(
        self, list_id: int, email: str, activity: ActivityRecord, written_with: Sequence[Item] = ()
    ) -> Unsubscribed:
        """Mark the subscriber unsubscribed and write the unsubscribe activity and the writes given, all or
        nothing: whether its status changed, or why it did not (the list has no such subscriber, or a write
        given failed its condition)."""
        update: Item = {
            "TableName": self.table.name,
            "Key": subscriber_key(list_id, email),
            "UpdateExpression": "SET #status = :unsubscribed, updated_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND #status <> :unsubscribed",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":unsubscribed": "unsubscribed",
                ":at": activity.occurred_at.isoformat(),
            },
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        failed = cancelled(self.table, [{"Update": update}, activity_put(activity), *written_with])
        if not failed:
            return "changed"
        if failed.keys() - {0}:
            return "refused"
        return "unchanged" if failed[0].get("Item") else "no subscriber"

    def unsubscribe_link(self, token: str) -> ListMember | None:
        return _member(self._get(f"UNSUBSCRIBE#{token}", "UNSUBSCRIBE"))

    def give_unsubscribe_token(self, account_id: int, subscriber: Subscriber, token: str) -> str | None:
        """Give the subscriber this unsubscribe token unless it has one already. The token in effect, or
        None when the subscriber is gone.

        The link is stored first, and needs no transaction: should the subscriber get another token
        meanwhile, the link left over still points to that same subscriber."""
        link: Item = {
            "pk": f"UNSUBSCRIBE#{token}",
            "sk": "UNSUBSCRIBE",
            "account_id": account_id,
            "list_id": subscriber.list_id,
            "email": subscriber.email,
        }
        self.table.put_item(Item=link)
        # A field left None is stored as NULL.
        tokenless = Attr("unsubscribe_token").not_exists() | Attr("unsubscribe_token").attribute_type("NULL")
        try:
            self.table.update_item(
                Key=subscriber_key(subscriber.list_id, subscriber.email),
                UpdateExpression="SET unsubscribe_token = :token",
                ConditionExpression=Attr("pk").exists() & tokenless,
                ExpressionAttributeValues={":token": token},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            current = self.get_subscriber(subscriber.list_id, subscriber.email)
            return current.unsubscribe_token if current else None
        return token

    def list_check(self, account_id: int, list_id: int) -> Item:
        """The check, in a transaction, that the list is the account's."""
        return {
            "ConditionCheck": {
                "TableName": self.table.name,
                "Key": {"pk": account_key(account_id), "sk": padded("LIST", list_id)},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }

    def delete_subscriber(self, list_id: int, email: str, written_with: Sequence[Item] = ()) -> set[int]:
        """Delete the subscriber and make the writes given, all or nothing: the indexes of those whose
        condition failed, 0 for the subscriber (the list has no such address); none when done."""
        delete: Item = {
            "TableName": self.table.name,
            "Key": subscriber_key(list_id, email),
            "ConditionExpression": "attribute_exists(pk)",
        }
        return set(cancelled(self.table, [{"Delete": delete}, *written_with]))

    def list_subscribers(self, list_id: int) -> list[Subscriber]:
        return [Subscriber.of(item) for item in self._query(f"LIST#{list_id}", "SUBSCRIBER#")]

    def subscribers_after(self, list_id: int, after: str | None, limit: int) -> SubscriberPage:
        """Up to `limit` subscribers of the list, in the order of their addresses, after the address `after`
        (from the first when None)."""
        query: Item = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": f"LIST#{list_id}", ":prefix": "SUBSCRIBER#"},
            "ConsistentRead": True,
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = subscriber_key(list_id, after)
        page = self.table.query(**query)
        last = page.get("LastEvaluatedKey")
        return SubscriberPage(
            [Subscriber.of(plain(item)) for item in page.get("Items", [])],
            str(last["sk"]).removeprefix("SUBSCRIBER#") if last else None,
        )

    # campaign sending


def list_records() -> ListRecords:
    return ListRecords(aws().data_table)
