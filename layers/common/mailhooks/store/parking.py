"""Deliveries parked while their endpoint's circuit breaker is open, in the delivery table.

Keys (in the endpoint's partition, beside its health; the account in the key keeps accounts apart):
- parked batch  ACCOUNT#<account id>#ENDPOINT#<endpoint id> / PARKED#<when, fixed-width UTC>#<token>
  the queue messages of one batch of deliveries parked together (by one fan-out or one deliver batch), as
  JSON text: one write parks a whole batch, and the oldest batches are read first, from the key alone.
  A batch being queued again, or given up, holds a lease (lease_until), so that two invocations never
  queue it both.
- index oldest_parked: parking_lot = PARKED / parked_since = when it was parked, in fixed-width UTC; keys
  only. Every parked batch is in it, whatever became of its endpoint: the batches parked longest are found
  there, to be given up.
No batch expires: one leaves only by being queued again or given up (mailhooks.outbound.parking).
"""

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mailhooks.aws import aws
from mailhooks.store.items import condition_failed, queried, update
from mailhooks.store.keys import EndpointKey, endpoint_key, endpoint_partition, from_sortable, sortable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

_PARKED = "PARKED#"
OLDEST_PARKED = "oldest_parked"
_LOT = "PARKED"
# Well below DynamoDB's 400 KB an item: a batch of messages larger than this is parked as several.
MAX_BATCH_BYTES = 300_000


@dataclass(frozen=True)
class ParkedBatch:
    endpoint: EndpointKey
    sort_key: str
    # The queue messages' bodies, oldest first.
    messages: list[str]

    @property
    def parked_at(self) -> datetime:
        return from_sortable(self.sort_key.split("#")[1])


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
                    "parking_lot": _LOT,
                    "parked_since": sortable(at),
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
        yield from (_batch(item) for item in queried(self.table, query))

    def take(self, batch: ParkedBatch, at: datetime, lease: timedelta) -> bool:
        """Lease the batch to queue it again; False when it is gone, or another invocation holds it."""
        return (
            self._lease({"pk": endpoint_partition(batch.endpoint), "sk": batch.sort_key}, at, lease)
            is not None
        )

    def take_parked_before(self, cutoff: datetime, at: datetime, lease: timedelta) -> Iterator[ParkedBatch]:
        """Every batch parked before `cutoff`, whatever its endpoint, oldest first, each leased (as it now
        stands) when it is yielded; one another invocation holds is left to it."""
        query: dict[str, Any] = {
            "IndexName": OLDEST_PARKED,
            "KeyConditionExpression": "parking_lot = :lot AND parked_since < :cutoff",
            "ExpressionAttributeValues": {":lot": _LOT, ":cutoff": sortable(cutoff)},
        }
        for item in queried(self.table, query):
            if (taken := self._lease({"pk": item["pk"], "sk": item["sk"]}, at, lease)) is not None:
                yield taken

    def _lease(self, key: dict[str, Any], at: datetime, lease: timedelta) -> ParkedBatch | None:
        """The batch, leased; None when it is gone, or another invocation holds it."""
        try:
            answer = self.table.update_item(
                Key=key,
                UpdateExpression="SET lease_until = :until",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeValues={
                    ":until": int((at + lease).timestamp()),
                    ":now": int(at.timestamp()),
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return _batch(answer["Attributes"])

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
