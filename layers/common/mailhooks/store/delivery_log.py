"""The delivery table: the log of every delivery to an export endpoint, with its attempts.

Keys:
- delivery         ACCOUNT#<account id>#DELIVERY#<webhook id> / DELIVERY
  (the account in the key keeps accounts apart). Its attempts are in the item, its last MAX_KEPT_ATTEMPTS
  of them: an attempt costs one write, the delivery's own, after the POST.
- index by_endpoint_status, on the delivery items:
                   endpoint_status = ACCOUNT#<account id>#ENDPOINT#<endpoint id>#<status>
                   status_at = when the delivery last changed, in fixed-width UTC (sorts as it reads)
  (an endpoint's deliveries in one status, newest first, a page at a time; or since a time)
Every delivery item expires 30 days after it was last written. The endpoints' health shares the table (and
the index): mailhooks/store/endpoint_health.py. The layout of every key: mailhooks/store/keys.py.
"""

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from mailhooks import clock
from mailhooks.aws import aws
from mailhooks.errors import InvalidInput
from mailhooks.json_form import json_data, own_fields
from mailhooks.store.items import condition_failed, get_across, plain, queried
from mailhooks.store.keys import delivery_partition, endpoint_status, sortable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

RETENTION = timedelta(days=30)
BY_ENDPOINT_STATUS = "by_endpoint_status"
_DELIVERY = "DELIVERY"
# The attempts a delivery keeps, the latest: rounds sent again by its owner add up, and an item must stay
# well below DynamoDB's 400 KB (an attempt takes up to about 700 bytes).
MAX_KEPT_ATTEMPTS = 50

# pending: under way, or waiting for its next attempt; failed: given up after the last attempt, and in the
# dead-letter queue; aborted: the endpoint's URL was refused, so nothing was sent; dropped: the endpoint was
# deleted or switched off before the delivery.
DeliveryStatus = Literal["pending", "delivered", "failed", "aborted", "dropped"]
# Why a delivery cannot be attempted now: it is delivered, or another copy of it is being attempted.
Unclaimable = Literal["delivered", "in flight"]


@dataclass(frozen=True)
class DeliveryAttempt:
    number: int
    at: datetime
    latency_ms: int
    # None when no answer came, or nothing was sent; the error says why.
    status_code: int | None = None
    error: str | None = None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "DeliveryAttempt":
        return cls(**own_fields(cls, data, times=("at",)))


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    account_id: int
    endpoint_id: str
    activity_id: str
    payload: dict[str, Any]
    status: DeliveryStatus = "pending"
    attempt_count: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime = field(default_factory=clock.now)
    updated_at: datetime = field(default_factory=clock.now)
    # Oldest first; empty in a page of deliveries.
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    # The attempts before its current round on the retry schedule: its owner can send it again for another.
    round_start: int = 0

    def with_attempt(self, attempt: DeliveryAttempt | None) -> "Delivery":
        """The delivery with this attempt, if any, the last of its attempts."""
        return self if attempt is None else replace(self, attempts=[*self.attempts, attempt])


def _attempts_text(attempts: list[DeliveryAttempt]) -> str:
    """A delivery's attempts, as its item keeps them: JSON text, without what an attempt lacks."""
    kept = [
        {name: value for name, value in json_data(attempt).items() if value is not None}
        for attempt in attempts
    ]
    return json.dumps(kept, separators=(",", ":"), ensure_ascii=False)


def _attempts(text: str) -> list[DeliveryAttempt]:
    return [DeliveryAttempt.of(attempt) for attempt in json.loads(text)]


def _expires_at(at: datetime) -> int:
    return int((at + RETENTION).timestamp())


@dataclass(frozen=True)
class DeliveryLog:
    table: "Table"

    def _key(self, delivery: Delivery, sort_key: str) -> dict[str, str]:
        return {"pk": delivery_partition(delivery.account_id, delivery.webhook_id), "sk": sort_key}

    def _item(self, delivery: Delivery) -> dict[str, Any]:
        return {
            # What is None is left out; the attempts and the payload are kept as text, below.
            **{
                name: value
                for name, value in json_data(replace(delivery, attempts=[], payload={})).items()
                if value is not None
            },
            **self._key(delivery, _DELIVERY),
            # Kept as the JSON text that is POSTed: exact, and free of DynamoDB's number and nesting rules.
            "payload": json.dumps(delivery.payload),
            "attempts": _attempts_text(delivery.attempts[-MAX_KEPT_ATTEMPTS:]),
            "endpoint_status": endpoint_status((delivery.account_id, delivery.endpoint_id), delivery.status),
            "status_at": sortable(delivery.updated_at),
            "round_start": delivery.round_start,
            "expires_at": _expires_at(delivery.updated_at),
        }

    def logged(self, deliveries: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these (account id, webhook id) deliveries are logged: one eventually consistent read per
        hundred, half a read unit each, a tenth of the price of a lease's write."""
        keys = [
            {"pk": delivery_partition(account_id, webhook_id), "sk": _DELIVERY}
            for account_id, webhook_id in dict.fromkeys(deliveries)
        ]
        found = get_across({self.table: keys}, consistent=False, attributes=("account_id", "webhook_id"))
        return {(int(item["account_id"]), str(item["webhook_id"])) for item in found[self.table.name]}

    def claim(self, delivery: Delivery, lease: timedelta, seen: bool = False) -> Delivery | Unclaimable:
        """Take the lease of the delivery's next attempt, and answer the delivery as its earlier attempts
        left it; unless it is delivered already, or another copy of it holds the lease (until that copy
        records its attempt, or the lease runs out).

        One write when the delivery is new, and one when it is `seen` (its message was received before,
        so that it is most likely logged): the lease is taken first where it most likely succeeds."""
        at = delivery.updated_at
        lease_until = int((at + lease).timestamp())
        if seen and (leased := self._lease(delivery, at, lease_until)) is not None:
            return leased
        try:
            # A delivery's first attempt, by far the most common, writes it whole in one cheap write.
            self.table.put_item(
                Item={
                    **self._item(replace(delivery, status="pending")),
                    "lease_until": lease_until,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            return delivery
        except ClientError as error:
            if not condition_failed(error):
                raise
        return self._lease(delivery, at, lease_until) or "in flight"

    def _lease(self, delivery: Delivery, at: datetime, lease_until: int) -> Delivery | Unclaimable | None:
        """Take the lease of a logged delivery (see claim); None when it is not logged."""
        try:
            answer = self.table.update_item(
                Key=self._key(delivery, _DELIVERY),
                UpdateExpression="SET lease_until = :lease",
                # An update writes an absent item: the delivery must be logged already.
                ConditionExpression="attribute_exists(pk) AND #status <> :delivered AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":lease": lease_until,
                    ":delivered": "delivered",
                    ":now": int(at.timestamp()),
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            found: Any = error.response.get("Item")
            if found is None:
                return None  # the condition fails on an absent item: nothing is logged
            return _unclaimable(found)
        earlier = answer["Attributes"]
        return replace(
            delivery,
            attempt_count=int(earlier["attempt_count"]),  # type: ignore[arg-type]
            round_start=int(earlier.get("round_start", 0)),  # type: ignore[arg-type]
            created_at=datetime.fromisoformat(str(earlier["created_at"])),
            attempts=_attempts(str(earlier.get("attempts", "[]"))),
        )

    def first(self, delivery: Delivery, attempt: DeliveryAttempt | None = None) -> Delivery | Unclaimable:
        """Write a delivery attempted without a lease at its message's first receipt, as that attempt (or
        its being settled unsent) left it: one write, and the delivery as written. It is written only where
        nothing of it is logged: what is there was written by another copy of the message (one fanned out
        twice, say), whose lease, attempt or settling it must not undo. Then nothing is written, and the
        answer is "delivered" when that copy delivered it, "in flight" otherwise.

        Such a delivery appears in the log once its first attempt is made, not as pending before it."""
        delivery = delivery.with_attempt(attempt)
        try:
            self.table.put_item(
                Item=self._item(delivery),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            found: Any = error.response.get("Item", {})
            return _unclaimable(found)
        return delivery

    def record(self, delivery: Delivery, attempt: DeliveryAttempt | None = None) -> Delivery:
        """Write the delivery as it stands after the attempt, with it, which gives its lease back: one write;
        the delivery as written. A delivery marked delivered stays so, whatever a late copy of it records."""
        delivery = delivery.with_attempt(attempt)
        try:
            self.table.put_item(
                Item=self._item(delivery),
                ConditionExpression="#status <> :delivered",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":delivered": "delivered"},
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
        return delivery

    def reopen(self, delivery: Delivery, at: datetime) -> Delivery | None:
        """Mark a settled delivery, as it was read, pending again: its owner asked for it to be sent again,
        and claim() lets a pending delivery be attempted, whether it was delivered before or not; for a new
        round of attempts on the retry schedule. None, and nothing changed, when it changed since it was
        read, or an attempt of it is under way."""
        reopened = replace(delivery, status="pending", updated_at=at, round_start=delivery.attempt_count)
        try:
            self.table.put_item(
                Item=self._item(reopened),
                ConditionExpression="#status = :was AND attempt_count = :attempts AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":was": delivery.status,
                    ":attempts": delivery.attempt_count,
                    ":now": int(at.timestamp()),
                },
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            return None
        return reopened

    def get(self, account_id: int, webhook_id: str) -> Delivery | None:
        """One delivery with its attempts, oldest first."""
        key = {"pk": delivery_partition(account_id, webhook_id), "sk": _DELIVERY}
        item = self.table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _delivery(item) if item else None

    def page(
        self,
        account_id: int,
        endpoint_id: str,
        status: DeliveryStatus,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[Delivery], str | None]:
        """An endpoint's deliveries in one status, newest first, without their attempts; and the cursor of
        the next page, or None after the last one."""
        partition = endpoint_status((account_id, endpoint_id), status)
        query: dict[str, Any] = {
            "IndexName": BY_ENDPOINT_STATUS,
            "KeyConditionExpression": "endpoint_status = :partition",
            "ExpressionAttributeValues": {":partition": partition},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            query["ExclusiveStartKey"] = _start_key(cursor, partition)
        page = self.table.query(**query)
        following = page.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(following).encode()).decode() if following else None
        return [replace(_delivery(item), attempts=[]) for item in page["Items"]], next_cursor

    def settled_since(
        self, account_id: int, endpoint_id: str, status: DeliveryStatus, since: datetime
    ) -> Iterator[Delivery]:
        """An endpoint's deliveries in one status that reached it at `since` or later, oldest first."""
        query: dict[str, Any] = {
            "IndexName": BY_ENDPOINT_STATUS,
            "KeyConditionExpression": "endpoint_status = :partition AND status_at >= :since",
            "ExpressionAttributeValues": {
                ":partition": endpoint_status((account_id, endpoint_id), status),
                ":since": sortable(since),
            },
        }
        yield from (_delivery(item) for item in queried(self.table, query))


def _unclaimable(found: Any) -> Unclaimable:
    """Why a delivery cannot be attempted, from its item as a failed condition returned it (DynamoDB JSON)."""
    return "delivered" if found.get("status", {}).get("S") == "delivered" else "in flight"


def _delivery(item: dict[str, Any]) -> Delivery:
    values = own_fields(Delivery, plain(item), times=("created_at", "updated_at"))
    return Delivery(
        **{
            **values,
            "payload": json.loads(values["payload"]),
            "attempts": _attempts(values.get("attempts", "[]")),
        }
    )


def _start_key(cursor: str, partition: str) -> dict[str, Any]:
    """The key a cursor of page() stands for; refused when it is not one that page() gave for this listing."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("the cursor is not one a page of deliveries gave") from error
    if not isinstance(key, dict) or key.get("endpoint_status") != partition:
        raise InvalidInput("the cursor belongs to another listing")
    return key


def delivery_log() -> DeliveryLog:
    return DeliveryLog(aws().delivery_table)
