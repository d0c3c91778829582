"""The idempotency table: a record of each inbound call that sends, so that a send is made at most once per
call (inbound.replays).

A record is begun, in progress, right before the send, in one transaction with what the send takes (its
place in the account's hourly quota, its campaign); completed with the call's answer in one transaction
with the send's activity and the call's log entry; or abandoned, what the send took given back, when the
provider refused the send. Written apart, a failed activity write after the provider accepted would leave
a call that could be carried out again. A record stays in progress for its whole window: a run killed
after its send (a timeout) is then not carried out again by the caller's retry.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailhooks.store.items import Item, cancelled

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# The attributes of the table's items, as Powertools' idempotency utility named them when it kept them.
KEY, STATUS, EXPIRY, DATA = "id", "status", "expiration", "data"
IN_PROGRESS, COMPLETED = "INPROGRESS", "COMPLETED"


@dataclass(frozen=True)
class CallRecord:
    # The answer of the call, as JSON, once it was carried out; None while it is in progress.
    answer: str | None


@dataclass(frozen=True)
class Begun:
    # The record of an identical call within its window, when there is one: nothing was written.
    existing: CallRecord | None = None
    # By index among what the send takes, each write whose condition failed: nothing was written.
    refused: dict[int, Item] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRecords:
    table: "Table"

    @property
    def table_name(self) -> str:
        return self.table.name

    expiry_attr = EXPIRY

    def begin(self, key: str | None, now: int, window: int, taken: list[Item]) -> Begun:
        """Begin the call's record, expiring `window` seconds after `now` (epoch seconds), with the writes of
        what its send takes; with no key (a webhook that keeps no record), those writes alone."""
        if key is None:
            return Begun(refused=cancelled(self.table, taken) if taken else {})
        record: Item = {
            "Put": {
                "TableName": self.table.name,
                "Item": {KEY: key, STATUS: IN_PROGRESS, EXPIRY: now + window},
                "ConditionExpression": f"attribute_not_exists({KEY}) OR {EXPIRY} < :now",
                "ExpressionAttributeValues": {":now": now},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        failed = cancelled(self.table, [record, *taken])
        if 0 in failed:
            found = failed[0].get("Item", {})
            completed = found.get(STATUS, {}).get("S") == COMPLETED
            return Begun(existing=CallRecord(found[DATA]["S"] if completed else None))
        return Begun(refused={index - 1: reason for index, reason in failed.items()})

    def complete(self, key: str | None, answer: str, written_with: list[Item]) -> None:
        done: list[Item] = []
        if key is not None:
            update = {
                "TableName": self.table.name,
                "Key": {KEY: key},
                "UpdateExpression": "SET #status = :completed, #data = :answer",
                "ExpressionAttributeNames": {"#status": STATUS, "#data": DATA},
                "ExpressionAttributeValues": {":completed": COMPLETED, ":answer": answer},
            }
            done.append({"Update": update})
        self._write([*done, *written_with])

    def abandon(self, key: str | None, given_back: list[Item]) -> None:
        """Delete the record of a call whose send reached nobody, giving back what the send took."""
        deleted = [] if key is None else [{"Delete": {"TableName": self.table.name, "Key": {KEY: key}}}]
        self._write([*deleted, *given_back])

    def _write(self, writes: list[Item]) -> None:
        if writes:
            self.table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
