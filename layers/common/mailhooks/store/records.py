"""DynamoDB access: the only module that knows the table's keys.

One table holds the platform's records. Keys, by access path:
- account                ACCOUNT#<id>      / ACCOUNT
- API key of an account  ACCOUNT#<id>      / APIKEY#<key id>;  found by its hash: APIKEY#<sha256> / APIKEY
- list, template,        ACCOUNT#<id>      / LIST#<id>, TEMPLATE#<id>, CAMPAIGN#<id> (ids zero-padded so
  campaign of an account                     they sort), INBOUND#<id> (points to the webhook's token)
- subscriber of a list   LIST#<id>         / SUBSCRIBER#<email>
- pending confirmation   CONFIRM#<token>   / CONFIRM      (points to the subscriber)
- unsubscribe link       UNSUBSCRIBE#<token> / UNSUBSCRIBE (points to the subscriber)
- campaign recipient     CAMPAIGN#<id>     / SENT#<email> (claimed before its email is sent: once each)
- inbound webhook        INBOUND#<token>   / INBOUND  (the inbound call finds it with one read)
- its call log           CALLS#<webhook id> / <time>#<random>  (expires after 30 days)
- id counters            COUNTER           / <kind>
"""

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from pydantic import BaseModel, TypeAdapter

from mailhooks.activity import ActivityRecord
from mailhooks.aws import aws
from mailhooks.models import (
    Account,
    ApiKey,
    Campaign,
    CampaignStatus,
    EmailTemplate,
    ExportEndpoint,
    InboundCallRecord,
    InboundWebhook,
    MailingList,
    RecipientCursor,
    Subscriber,
    WebhookStats,
    utcnow,
)
from mailhooks.store.activity import activity_item
from mailhooks.store.health import EndpointKey
from mailhooks.store.items import Item, dynamo_data, get_many

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

Owned = TypeVar("Owned", MailingList, EmailTemplate, Campaign)
IdKind = Literal["account", "list", "template", "campaign", "subscriber", "action"]
# What an owner changes on a webhook; the rest (id, account, token, stats, created_at) is the platform's.
_WEBHOOK_SETTINGS = (
    "name",
    "operation",
    "sample_payload",
    "mapping",
    "list_id",
    "active",
    "listening",
    "updated_at",
)
CALL_LOG_RETENTION = timedelta(days=30)
_DATETIME = TypeAdapter(datetime)
# Longer than any campaign takes to send.
CLAIM_RETENTION = timedelta(days=30)


def _account_key(account_id: int) -> str:
    return f"ACCOUNT#{account_id}"


def _padded(prefix: str, number: int) -> str:
    return f"{prefix}#{number:012d}"


def _to_item(record: BaseModel, pk: str, sk: str) -> Item:
    return {"pk": pk, "sk": sk, **dynamo_data(record)}


def _plain(value: Any) -> Any:
    """DynamoDB answers every number as Decimal; give them back as int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


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
class Store:
    table: "Table"
    # Written together with the change an activity records, in one transaction.
    activity_table: "Table"

    def _get(self, pk: str, sk: str) -> Item | None:
        item = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return _plain(item) if item else None

    def _get_many(self, keys: list[Item]) -> list[Item]:
        return [_plain(item) for item in get_many(self.table, keys)]

    def _query(self, pk: str, prefix: str) -> list[Item]:
        """Every item of a partition whose sort key starts with prefix, all pages, strongly consistent."""
        items: list[Item] = []
        query: Item = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": prefix},
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**query)
            items.extend(_plain(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _transact(self, writes: list[Item]) -> bool:
        """Write all or nothing; False when a condition failed."""
        try:
            self.table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def _activity_put(self, activity: ActivityRecord) -> Item:
        return {"Put": {"TableName": self.activity_table.name, "Item": activity_item(activity)}}

    # ids

    def next_id(self, kind: IdKind) -> int:
        answer = self.table.update_item(
            Key={"pk": "COUNTER", "sk": kind},
            UpdateExpression="ADD #value :one",
            ExpressionAttributeNames={"#value": "value"},
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return int(answer["Attributes"]["value"])  # type: ignore[arg-type]

    # accounts

    def put_account(self, account: Account) -> None:
        self.table.put_item(Item=_to_item(account, _account_key(account.id), "ACCOUNT"))

    def get_account(self, account_id: int) -> Account | None:
        item = self._get(_account_key(account_id), "ACCOUNT")
        return Account.model_validate(item) if item else None

    # API keys: found by their hash, listed under their account

    def put_api_key(self, key: ApiKey, key_hash: str) -> None:
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
                            **_to_item(key, _account_key(key.account_id), f"APIKEY#{key.id}"),
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

    def api_keys(self, account_id: int) -> list[ApiKey]:
        return [ApiKey.model_validate(item) for item in self._query(_account_key(account_id), "APIKEY#")]

    def delete_api_key(self, account_id: int, key_id: str) -> bool:
        """False when the account has no such key."""
        listed = self._get(_account_key(account_id), f"APIKEY#{key_id}")
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

    def _put_owned(self, record: MailingList | EmailTemplate | Campaign, kind: str) -> None:
        self.table.put_item(Item=_to_item(record, _account_key(record.account_id), _padded(kind, record.id)))

    def _get_owned(self, model: type[Owned], account_id: int, kind: str, record_id: int) -> Owned | None:
        item = self._get(_account_key(account_id), _padded(kind, record_id))
        return model.model_validate(item) if item else None

    def put_list(self, mailing_list: MailingList) -> None:
        self._put_owned(mailing_list, "LIST")

    def get_list(self, account_id: int, list_id: int) -> MailingList | None:
        return self._get_owned(MailingList, account_id, "LIST", list_id)

    def lists(self, account_id: int) -> list[MailingList]:
        return [MailingList.model_validate(item) for item in self._query(_account_key(account_id), "LIST#")]

    def put_template(self, template: EmailTemplate) -> None:
        self._put_owned(template, "TEMPLATE")

    def get_template(self, account_id: int, template_id: int) -> EmailTemplate | None:
        return self._get_owned(EmailTemplate, account_id, "TEMPLATE", template_id)

    def templates(self, account_id: int) -> list[EmailTemplate]:
        return [
            EmailTemplate.model_validate(item) for item in self._query(_account_key(account_id), "TEMPLATE#")
        ]

    def put_campaign(self, campaign: Campaign) -> None:
        self._put_owned(campaign, "CAMPAIGN")

    def get_campaign(self, account_id: int, campaign_id: int) -> Campaign | None:
        return self._get_owned(Campaign, account_id, "CAMPAIGN", campaign_id)

    def delete_campaign(self, account_id: int, campaign_id: int) -> None:
        self.table.delete_item(Key={"pk": _account_key(account_id), "sk": _padded("CAMPAIGN", campaign_id)})

    # subscribers

    @staticmethod
    def _subscriber_key(list_id: int, email: str) -> dict[str, str]:
        return {"pk": f"LIST#{list_id}", "sk": f"SUBSCRIBER#{email.lower()}"}

    def get_subscriber(self, list_id: int, email: str) -> Subscriber | None:
        key = self._subscriber_key(list_id, email)
        item = self._get(key["pk"], key["sk"])
        return Subscriber.model_validate(item) if item else None

    def create_subscriber(self, subscriber: Subscriber, account_id: int) -> bool:
        """Store a new subscriber; False when the list already has that address (nothing is written)."""
        key = self._subscriber_key(subscriber.list_id, subscriber.email)
        put: Item = {
            "TableName": self.table.name,
            "Item": _to_item(subscriber, key["pk"], key["sk"]),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        writes: list[Item] = [{"Put": put}]
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
        key = self._subscriber_key(subscriber.list_id, subscriber.email)
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
            Key=self._subscriber_key(list_id, email),
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
            "Key": self._subscriber_key(member.list_id, member.email),
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
        return self._transact([{"Update": activate}, {"Delete": use_up}, self._activity_put(activity)])

    def unsubscribe(self, list_id: int, email: str, activity: ActivityRecord) -> bool | None:
        """Mark the subscriber unsubscribed and write the unsubscribe activity, both or neither. True when
        its status changed; False when it was unsubscribed already; None when the list has no such
        subscriber."""
        update: Item = {
            "TableName": self.table.name,
            "Key": self._subscriber_key(list_id, email),
            "UpdateExpression": "SET #status = :unsubscribed, updated_at = :at",
            "ConditionExpression": "attribute_exists(pk) AND #status <> :unsubscribed",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":unsubscribed": "unsubscribed",
                ":at": activity.occurred_at.isoformat(),
            },
        }
        if self._transact([{"Update": update}, self._activity_put(activity)]):
            return True
        return None if self.get_subscriber(list_id, email) is None else False

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
                Key=self._subscriber_key(subscriber.list_id, subscriber.email),
                UpdateExpression="SET unsubscribe_token = :token",
                ConditionExpression=Attr("pk").exists() & tokenless,
                ExpressionAttributeValues={":token": token},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = self.get_subscriber(subscriber.list_id, subscriber.email)
            return current.unsubscribe_token if current else None
        return token

    def delete_subscriber(self, list_id: int, email: str) -> bool:
        """False when the list has no such subscriber."""
        answer = self.table.delete_item(Key=self._subscriber_key(list_id, email), ReturnValues="ALL_OLD")
        return "Attributes" in answer

    def list_subscribers(self, list_id: int) -> list[Subscriber]:
        return [Subscriber.model_validate(item) for item in self._query(f"LIST#{list_id}", "SUBSCRIBER#")]

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
            query["ExclusiveStartKey"] = self._subscriber_key(list_id, after)
        page = self.table.query(**query)
        last = page.get("LastEvaluatedKey")
        return SubscriberPage(
            [Subscriber.model_validate(_plain(item)) for item in page.get("Items", [])],
            str(last["sk"]).removeprefix("SUBSCRIBER#") if last else None,
        )

    # campaign sending

    def claim_campaign_recipient(self, campaign_id: int, email: str) -> bool:
        """Claim the address for the one email the campaign sends it; False when it is claimed already."""
        try:
            self.table.put_item(
                Item={
                    "pk": f"CAMPAIGN#{campaign_id}",
                    "sk": f"SENT#{email.lower()}",
                    "expires_at": int((utcnow() + CLAIM_RETENTION).timestamp()),
                },
                ConditionExpression=Attr("pk").not_exists(),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def release_campaign_recipient(self, campaign_id: int, email: str) -> None:
        """Give back the claim of an address whose email could not be sent."""
        self.table.delete_item(Key={"pk": f"CAMPAIGN#{campaign_id}", "sk": f"SENT#{email.lower()}"})

    def advance_campaign(
        self, campaign: Campaign, status: CampaignStatus, cursor: RecipientCursor | None, sent: int
    ) -> None:
        """Save where the campaign sender got to, and count what it sent on the way."""
        self.table.update_item(
            Key={"pk": _account_key(campaign.account_id), "sk": _padded("CAMPAIGN", campaign.id)},
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

    def put_export_endpoint(self, endpoint: ExportEndpoint) -> None:
        key = _account_key(endpoint.account_id)
        self.table.put_item(Item=_to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"))

    def replace_export_endpoint(self, endpoint: ExportEndpoint, read_at: datetime) -> bool:
        """Save a changed endpoint unless it changed (or went) since it was read as of read_at: a change
        that raced another (a rotated secret, a deletion) must not undo it. False when it did."""
        key = _account_key(endpoint.account_id)
        try:
            self.table.put_item(
                Item=_to_item(endpoint, key, f"ENDPOINT#{endpoint.id}"),
                # Compared as stored: in the JSON form of the record's datetimes.
                ConditionExpression=Attr("updated_at").eq(_DATETIME.dump_python(read_at, mode="json")),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def get_export_endpoint(self, account_id: int, endpoint_id: str) -> ExportEndpoint | None:
        item = self._get(_account_key(account_id), f"ENDPOINT#{endpoint_id}")
        return ExportEndpoint.model_validate(item) if item else None

    def export_endpoints_by_key(
        self, keys: Iterable[EndpointKey]
    ) -> dict[EndpointKey, ExportEndpoint | None]:
        """Each of these endpoints (None for one that does not exist), with one read per hundred."""
        wanted = list(dict.fromkeys(keys))
        items = self._get_many(
            [{"pk": _account_key(account), "sk": f"ENDPOINT#{name}"} for account, name in wanted]
        )
        found = {
            (endpoint.account_id, endpoint.id): endpoint
            for endpoint in map(ExportEndpoint.model_validate, items)
        }
        return {key: found.get(key) for key in wanted}

    def export_endpoints(self, account_id: int) -> list[ExportEndpoint]:
        """Every endpoint of the account, in one query: what the owner saved applies to the next activity."""
        items = self._query(_account_key(account_id), "ENDPOINT#")
        return [ExportEndpoint.model_validate(item) for item in items]

    def delete_export_endpoint(self, account_id: int, endpoint_id: str) -> bool:
        key = {"pk": _account_key(account_id), "sk": f"ENDPOINT#{endpoint_id}"}
        return "Attributes" in self.table.delete_item(Key=key, ReturnValues="ALL_OLD")

    # inbound webhooks

    def _webhook_item(self, webhook: InboundWebhook) -> Item:
        item = _to_item(webhook, f"INBOUND#{webhook.token}", "INBOUND")
        # Kept as JSON text: a pasted payload may nest deeper than DynamoDB's 32 levels.
        item["sample_payload"] = json.dumps(webhook.sample_payload)
        return {**item, **item.pop("stats")}

    def put_inbound_webhook(self, webhook: InboundWebhook) -> None:
        """Store a new webhook and the account's pointer to it, both or neither."""
        pointer = {
            "pk": _account_key(webhook.account_id),
            "sk": f"INBOUND#{webhook.id}",
            "token": webhook.token,
        }
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": self._webhook_item(webhook),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": pointer,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def update_inbound_webhook(self, webhook: InboundWebhook) -> bool:
        """Save what the owner may change; the stats stay as concurrent calls count them. False when gone."""
        item = self._webhook_item(webhook)
        changed = {name: item[name] for name in _WEBHOOK_SETTINGS}
        try:
            self.table.update_item(
                Key={"pk": f"INBOUND#{webhook.token}", "sk": "INBOUND"},
                UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in changed),
                ConditionExpression=Attr("pk").exists(),
                ExpressionAttributeNames={f"#{name}": name for name in changed},
                ExpressionAttributeValues={f":{name}": value for name, value in changed.items()},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def rotate_inbound_webhook_token(self, webhook: InboundWebhook, new_token: str) -> bool:
        """Move the webhook to a new token: the old URL stops answering at once. False when it is gone."""
        current = self.find_inbound_webhook(webhook.token)
        if current is None:
            return False
        moved = self._webhook_item(current.model_copy(update={"token": new_token}))
        table = self.table.name
        return self._transact(
            [
                {
                    "Put": {
                        "TableName": table,
                        "Item": moved,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Delete": {
                        "TableName": table,
                        "Key": {"pk": f"INBOUND#{webhook.token}", "sk": "INBOUND"},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": _account_key(webhook.account_id), "sk": f"INBOUND#{webhook.id}"},
                        "UpdateExpression": "SET #token = :new",
                        "ConditionExpression": "#token = :old",
                        "ExpressionAttributeNames": {"#token": "token"},
                        "ExpressionAttributeValues": {":new": new_token, ":old": webhook.token},
                    }
                },
            ]
        )

    def find_inbound_webhook(self, token: str) -> InboundWebhook | None:
        """The webhook a URL's token names, with one read."""
        item = self._get(f"INBOUND#{token}", "INBOUND")
        return _webhook(item) if item else None

    def get_inbound_webhook(self, account_id: int, webhook_id: str) -> InboundWebhook | None:
        pointer = self._get(_account_key(account_id), f"INBOUND#{webhook_id}")
        return self.find_inbound_webhook(pointer["token"]) if pointer else None

    def inbound_webhooks(self, account_id: int) -> list[InboundWebhook]:
        keys = [
            {"pk": f"INBOUND#{pointer['token']}", "sk": "INBOUND"}
            for pointer in self._query(_account_key(account_id), "INBOUND#")
        ]
        found = [_webhook(item) for item in self._get_many(keys)]
        return sorted(found, key=lambda webhook: webhook.created_at)

    def delete_inbound_webhook(self, account_id: int, webhook_id: str) -> bool:
        """Delete a webhook of the account and its URL; False when the account has no such webhook."""
        pointer = self._get(_account_key(account_id), f"INBOUND#{webhook_id}")
        if pointer is None:
            return False
        return self._transact(
            [
                {"Delete": {"TableName": self.table.name, "Key": {"pk": pointer["pk"], "sk": pointer["sk"]}}},
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": {"pk": f"INBOUND#{pointer['token']}", "sk": "INBOUND"},
                    }
                },
            ]
        )

    def capture_sample_payload(self, token: str, document: Any, at: datetime) -> None:
        """Keep a received body as the webhook's sample payload and stop listening."""
        self.table.update_item(
            Key={"pk": f"INBOUND#{token}", "sk": "INBOUND"},
            UpdateExpression="SET sample_payload = :sample, listening = :false, updated_at = :at",
            ConditionExpression=Attr("pk").exists(),
            ExpressionAttributeValues={
                ":sample": json.dumps(document),
                ":false": False,
                ":at": at.isoformat(),
            },
        )

    def record_inbound_call(self, webhook: InboundWebhook, call: InboundCallRecord) -> None:
        """Count one answered call (atomically: concurrent calls never lose a count) and log it."""
        try:
            self.table.update_item(
                Key={"pk": f"INBOUND#{webhook.token}", "sk": "INBOUND"},
                UpdateExpression="ADD #count :one SET last_call_at = :at",
                ConditionExpression=Attr("pk").exists(),
                ExpressionAttributeNames={"#count": "success_count" if call.status < 400 else "error_count"},
                ExpressionAttributeValues={":one": 1, ":at": call.at.isoformat()},
            )
        except ClientError as error:
            if _is_condition_failure(error):  # deleted while the call ran: nothing left to count
                return
            raise
        # Not in one transaction with the count: concurrent transactions on one item conflict, and the
        # count must never be lost.
        logged = _to_item(call, f"CALLS#{webhook.id}", f"{call.at.isoformat()}#{secrets.token_hex(4)}")
        logged["expires_at"] = int((call.at + CALL_LOG_RETENTION).timestamp())
        self.table.put_item(Item=logged)

    def inbound_calls(self, webhook_id: str, limit: int = 50) -> list[InboundCallRecord]:
        """The webhook's last calls, newest first."""
        page = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": f"CALLS#{webhook_id}"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [InboundCallRecord.model_validate(_plain(item)) for item in page.get("Items", [])]


def _webhook(item: Item) -> InboundWebhook:
    stats = WebhookStats.model_validate(item)
    return InboundWebhook.model_validate(
        {**item, "stats": stats, "sample_payload": json.loads(item["sample_payload"])}
    )


def store() -> Store:
    return Store(aws().data_table, aws().activity_table)
