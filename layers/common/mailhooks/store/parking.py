"""Deliveries parked while their endpoint's circuit breaker is open, in the delivery table.

Keys (in the endpoint's partition, beside its health; the account in the key keeps accounts apart):
- parked batch  ACCOUNT#<account id>#ENDPOINT#<endpoint id> / PARKED#<when, fixed-width UTC>#<token>
  the queue messages of one batch of deliveries parked together (by one fan-out or one deliver batch), as
  JSON text: one write parks a whole batch, and the oldest batches are read first, from the key alone.
  A batch being queued again holds a lease (lease_until), so that two invocations never queue it both.
Each batch expires 30 days after it was parked, as the delivery log does.
"""

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mailhooks.aws import aws
from mailhooks.store.delivery_log import RETENTION
from mailhooks.store.items import update
from mailhooks.store.keys import EndpointKey, endpoint_key, endpoint_partition, sortable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_PARKED = "PARKED#"
# Well below DynamoDB's 400 KB an item: a batch of messages larger than this is parked as several.
MAX_BATCH_BYTES = 300_000


@dataclass(frozen=True)
class ParkedBatch:
    endpoint: EndpointKey
    sort_key: str
    # The queue messages' bodies, oldest first.
    messages: list[str]


def _chunks(messages: list[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for message in messages:
        if chunk and size + len(message) > MAX_BATCH_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(message)
        size += len(message)
    if chunk:
        yield chunk


def _batch(item: dict[str, Any]) -> ParkedBatch:
    return ParkedBatch(endpoint_key(str(item["pk"])), str(item["sk"]), json.loads(str(item["messages"])))


@dataclass(frozen=True)
class ParkedDeliveries:
    table: "Table"

    def park(self, endpoint: EndpointKey, messages: list[str], at: datetime) -> None:
        """Park the messages, as one batch (or as few as their size allows): one write each."""
        for chunk in _chunks(messages):
            self.table.put_item(
                Item={
                    "pk": endpoint_partition(endpoint),
                    "sk": f"{_PARKED}{sortable(at)}#{secrets.token_hex(4)}",
                    "messages": json.dumps(chunk),
                    "expires_at": int((at + RETENTION).timestamp()),
                }
            )

    def batches(self, endpoint: EndpointKey, page_size: int | None = None) -> Iterator[ParkedBatch]:
        """The endpoint's parked batches, oldest first, read `page_size` at a time (as many as a read
        returns without it)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :parked)",
            "ExpressionAttributeValues": {":pk": endpoint_partition(endpoint), ":parked": _PARKED},
            "ConsistentRead": True,
        }
        if page_size is not None:
            query["Limit"] = page_size
        while True:
            page = self.table.query(**query)
            yield from (_batch(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def take(self, batch: ParkedBatch, at: datetime, lease: timedelta) -> bool:
        """Lease the batch to queue it again; False when it is gone, or another invocation holds it."""
        return update(
            self.table,
            {"pk": endpoint_partition(batch.endpoint), "sk": batch.sort_key},
            "SET lease_until = :until",
            "attribute_exists(pk) AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            until=int((at + lease).timestamp()),
            now=int(at.timestamp()),
        )

    def keep(self, batch: ParkedBatch, messages: list[str]) -> None:
        """What is left of a taken batch: those of its messages still parked (none: it is gone), its lease
        given back."""
        key = {"pk": endpoint_partition(batch.endpoint), "sk": batch.sort_key}
        if not messages:
            self.table.delete_item(Key=key)
            return
        update(self.table, key, "SET messages = :messages REMOVE lease_until", messages=json.dumps(messages))


def parked_deliveries() -> ParkedDeliveries:
    return ParkedDeliveries(aws().delivery_table)
