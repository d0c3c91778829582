"""Inbound webhooks, in the data table: found by their URL's token, listed under their account, with their
stats and call log."""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from mailhooks.aws import aws
from mailhooks.models import (
    InboundCallRecord,
    InboundWebhook,
    WebhookStats,
)
from mailhooks.store.items import Item, Records, condition_failed, plain, to_item, update
from mailhooks.store.keys import account_key

if TYPE_CHECKING:
    pass


# What an owner changes on a webhook; the rest (id, account, token, stats, created_at) is the platform's.
_WEBHOOK_SETTINGS = (
    "name",
    "operation",
    "sample_payload",
    "mapping",
    "list_id",
    "active",
    "listening",
    "calls_per_second",
    "burst",
    "replay_window_seconds",
    "updated_at",
)
CALL_LOG_RETENTION = timedelta(days=30)
# What a sample payload may take in the webhook's item, whose whole is at most DynamoDB's 400 KB.
SAMPLE_LIMIT_BYTES = 300 * 1024


def sample_json(document: Any) -> str:
    """A sample payload as its item keeps it: JSON text, as a pasted payload may nest deeper than DynamoDB's
    32 levels; unescaped, so that it takes the bytes it was sent in."""
    return json.dumps(document, ensure_ascii=False)


@dataclass(frozen=True)
class InboundWebhookRecords(Records):
    def _webhook_item(self, webhook: InboundWebhook) -> Item:
        item = to_item(webhook, f"INBOUND#{webhook.token}", "INBOUND")
        item["sample_payload"] = sample_json(webhook.sample_payload)
        return {**item, **item.pop("stats")}

    def put_inbound_webhook(self, webhook: InboundWebhook) -> None:
        """Store a new webhook and the account's pointer to it, both or neither."""
        pointer = {
            "pk": account_key(webhook.account_id),
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
            if condition_failed(error):
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
                        "Key": {"pk": account_key(webhook.account_id), "sk": f"INBOUND#{webhook.id}"},
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
        pointer = self._get(account_key(account_id), f"INBOUND#{webhook_id}")
        return self.find_inbound_webhook(pointer["token"]) if pointer else None

    def inbound_webhooks(self, account_id: int) -> list[InboundWebhook]:
        keys = [
            {"pk": f"INBOUND#{pointer['token']}", "sk": "INBOUND"}
            for pointer in self._query(account_key(account_id), "INBOUND#")
        ]
        found = [_webhook(item) for item in self._get_many(keys)]
        return sorted(found, key=lambda webhook: webhook.created_at)

    def delete_inbound_webhook(self, account_id: int, webhook_id: str) -> bool:
        """Delete a webhook of the account and its URL; False when the account has no such webhook."""
        pointer = self._get(account_key(account_id), f"INBOUND#{webhook_id}")
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
                ":sample": sample_json(document),
                ":false": False,
                ":at": at.isoformat(),
            },
        )

    def record_inbound_call(self, webhook: InboundWebhook, call: InboundCallRecord) -> None:
        """Count one answered call (atomically: concurrent calls never lose a count) and log it. last_call_at
        only moves forward: a call that began before another and ended after it leaves the later time."""
        key = {"pk": f"INBOUND#{webhook.token}", "sk": "INBOUND"}
        counted = "success_count" if call.status < 400 else "error_count"
        at = call.at.isoformat()
        # Times in UTC ISO 8601, compared as strings; a webhook never called holds null there.
        newest = (
            "attribute_exists(pk) AND (attribute_not_exists(last_call_at)"
            " OR attribute_type(last_call_at, :null) OR last_call_at < :at)"
        )
        moved = update(
            self.table, key, f"ADD #{counted} :one SET last_call_at = :at", newest, one=1, at=at, null="NULL"
        )
        # Else a later call was counted already, or the webhook was deleted while the call ran.
        if not moved and not update(self.table, key, f"ADD #{counted} :one", "attribute_exists(pk)", one=1):
            return
        # Not in one transaction with the count: concurrent transactions on one item conflict, and the
        # count must never be lost.
        logged = to_item(call, f"CALLS#{webhook.id}", f"{call.at.isoformat()}#{secrets.token_hex(4)}")
        logged["expires_at"] = int((call.at + CALL_LOG_RETENTION).timestamp())
        self.table.put_item(Item=logged)

    def pace_call(self, webhook: InboundWebhook, now: int, interval: int, tolerance: int) -> int | None:
        """Admit one call by the generic cell rate algorithm, in milliseconds: paced_until is when the
        webhook's allowance would be spent had every call come on schedule; a call is admitted while that
        is at most tolerance ahead of now, and moves it one interval on. None when admitted, else how long
        until a call would be. One write when the stored time is what the webhook's read said."""
        key = {"pk": f"INBOUND#{webhook.token}", "sk": "INBOUND"}
        busy = (
            "SET paced_until = paced_until + :interval",
            "paced_until BETWEEN :now AND :latest",
            {":interval": interval, ":now": now, ":latest": now + tolerance},
        )
        idle = (
            "SET paced_until = :next",
            "attribute_exists(pk) AND (attribute_not_exists(paced_until) OR paced_until < :now)",
            {":next": now + interval, ":now": now},
        )
        paced_until = webhook.paced_until
        for expression, condition, values in [busy, idle] if webhook.paced_until >= now else [idle, busy]:
            try:
                self.table.update_item(
                    Key=key,
                    UpdateExpression=expression,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
                stored = error.response.get("Item", {}).get("paced_until", {})  # type: ignore[attr-defined]
                if "N" not in stored:  # deleted while called: the call finds out itself
                    return None
                paced_until = int(stored["N"])
                continue
            return None
        return max(paced_until - tolerance - now, 1)

    def inbound_calls(self, webhook_id: str, limit: int = 50) -> list[InboundCallRecord]:
        """The webhook's last calls, newest first."""
        page = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": f"CALLS#{webhook_id}"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [InboundCallRecord.model_validate(plain(item)) for item in page.get("Items", [])]


def _webhook(item: Item) -> InboundWebhook:
    stats = WebhookStats.model_validate(item)
    return InboundWebhook.model_validate(
        {**item, "stats": stats, "sample_payload": json.loads(item["sample_payload"])}
    )


def inbound_webhook_records() -> InboundWebhookRecords:
    return InboundWebhookRecords(aws().data_table)
