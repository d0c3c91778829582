"""Inbound webhooks, in the data table: found by their URL's token, listed under their account, with their
stats and call log."""

import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.errors import PayloadTooLarge
from mailhooks.models import Account, InboundCallRecord, InboundWebhook
from mailhooks.store.items import Item, Records, condition_failed, dynamo_data, plain, to_item, update
from mailhooks.store.keys import account_key, webhook_key

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
    "account",
    "webhook_list",
)
CALL_LOG_RETENTION = timedelta(days=30)
# last_call_at only moves forward: times in UTC ISO 8601, compared as strings; never called, it holds null.
_OLDER = "(attribute_not_exists(last_call_at) OR attribute_type(last_call_at, :null) OR last_call_at < :at)"
# What a sample payload may take in the webhook's item, whose whole is at most DynamoDB's 400 KB.
SAMPLE_LIMIT_BYTES = 300 * 1024


def sample_json(document: Any) -> str:
    """A sample payload as its item keeps it: JSON text, as a pasted payload may nest deeper than DynamoDB's
    32 levels; unescaped, so that it takes the bytes it was sent in."""
    return json.dumps(document, ensure_ascii=False)


def check_sample_size(document: Any, what: str) -> None:
    """PayloadTooLarge when the document, kept as a webhook's sample payload, would not fit its item."""
    size = len(sample_json(document).encode())
    if size > SAMPLE_LIMIT_BYTES:
        raise PayloadTooLarge(
            f"{what} takes {size} bytes as a sample payload; a sample may take {SAMPLE_LIMIT_BYTES} bytes"
        )


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
        moved = self._webhook_item(replace(current, token=new_token))
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

    def carry_account(self, account: Account) -> None:
        """Copy the account, as the operator changed it, onto each of its webhooks' items."""
        carried = dynamo_data(account)
        for pointer in self._query(account_key(account.id), "INBOUND#"):
            key = webhook_key(pointer["token"])
            update(self.table, key, "SET #account = :account", "attribute_exists(pk)", account=carried)

    def log_entry(self, webhook: InboundWebhook, call: InboundCallRecord) -> Item:
        """The Put of a call's entry in the webhook's log, for a transaction that writes it with the call's
        effect."""
        logged = to_item(call, f"CALLS#{webhook.id}", f"{call.at.isoformat()}#{secrets.token_hex(4)}")
        logged["expires_at"] = int((call.at + CALL_LOG_RETENTION).timestamp())
        return {"Put": {"TableName": self.table.name, "Item": logged}}

    def log_call(self, webhook: InboundWebhook, call: InboundCallRecord) -> None:
        self.table.put_item(Item=self.log_entry(webhook, call)["Put"]["Item"])

    def _count(
        self, webhook: InboundWebhook, counts: str, condition: str, at: datetime, **values: Any
    ) -> bool:
        """One update of the webhook's stats that moves last_call_at to `at` unless a later call's time is
        there already; False when the condition failed on something else."""
        key = webhook_key(webhook.token)
        if update(
            self.table,
            key,
            f"{counts} SET last_call_at = :at",
            f"{condition} AND {_OLDER}",
            **values,
            at=at.isoformat(),
            null="NULL",
        ):
            return True
        return update(self.table, key, counts, condition, **values)

    def count_error(
        self, webhook: InboundWebhook, call: InboundCallRecord, admitted: bool, log: bool
    ) -> None:
        """Count an answered error, and log it unless it was logged with what it kept. An admitted call was
        counted a success (admit_call): it is moved. Not in one transaction with the log: concurrent
        transactions on one item conflict, and a count must never be lost."""
        counts = "ADD error_count :one, success_count :minus_one" if admitted else "ADD error_count :one"
        values = {"one": 1, "minus_one": -1} if admitted else {"one": 1}
        # Else the webhook was deleted while the call ran.
        if self._count(webhook, counts, "attribute_exists(pk)", call.at, **values) and log:
            self.log_call(webhook, call)

    def admit_call(self, webhook: InboundWebhook, at: datetime, interval: int, tolerance: int) -> int | None:
        """Admit one call by the generic cell rate algorithm, in milliseconds, and count it a success: one
        write, which also moves last_call_at forward. paced_until is when the webhook's allowance would be
        spent had every call come on schedule; a call is admitted while that is at most tolerance ahead of
        now, and moves it one interval on. None when admitted, else how long until a call would be.

        Each attempt states what the webhook's last read said (whether the pace is idle or busy, and whether
        a later call's time is stored); a condition that fails answers what is stored, and the next attempt
        states that."""
        paced_until, last = webhook.paced_until, webhook.stats.last_call_at
        # Each failed condition is another call's write, which moved the pace on: this ends, admitted or not.
        while True:
            # The time of each write, not of the call's start: calls that began together but reached here
            # seconds apart (a slow read, writes lost to others) would otherwise measure the same allowance
            # from times seconds apart.
            now = int(clock.now().timestamp() * 1000)
            if paced_until > now + tolerance:
                return max(paced_until - tolerance - now, 1)
            values: dict[str, Any] = {":one": 1, ":now": now}
            if paced_until >= now:
                expression = "SET paced_until = paced_until + :interval"
                condition = "paced_until BETWEEN :now AND :latest"
                values.update({":interval": interval, ":latest": now + tolerance})
            else:
                expression = "SET paced_until = :next"
                condition = (
                    "attribute_exists(pk) AND (attribute_not_exists(paced_until) OR paced_until < :now)"
                )
                values[":next"] = now + interval
            if last is None or last < at:
                expression += ", last_call_at = :at"
                condition += f" AND {_OLDER}"
                values.update({":at": at.isoformat(), ":null": "NULL"})
            try:
                self.table.update_item(
                    Key=webhook_key(webhook.token),
                    UpdateExpression=f"{expression} ADD success_count :one",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not condition_failed(error):
                    raise
                stored: Item = error.response.get("Item", {})  # type: ignore[assignment]
                if not stored:  # deleted while called: the call finds out itself
                    return None
                paced_until = int(stored.get("paced_until", {}).get("N", 0))
                called = stored.get("last_call_at", {}).get("S")
                last = datetime.fromisoformat(called) if called else None
                continue
            return None

    def inbound_calls(self, webhook_id: str, limit: int = 50) -> list[InboundCallRecord]:
        """The webhook's last calls, newest first."""
        page = self.table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": f"CALLS#{webhook_id}"},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [InboundCallRecord.of(plain(item)) for item in page.get("Items", [])]


def _webhook(item: Item) -> InboundWebhook:
    return InboundWebhook.of({**plain(item), "sample_payload": json.loads(item["sample_payload"])})


def inbound_webhook_records() -> InboundWebhookRecords:
    return InboundWebhookRecords(aws().data_table)
