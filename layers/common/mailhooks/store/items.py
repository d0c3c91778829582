"""Records as DynamoDB items, and the reads and writes every module of the store shares."""

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mailhooks.json_form import json_text
from mailhooks.store.keys import account_key, padded

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from mypy_boto3_dynamodb.service_resource import Table

    from mailhooks.models import Campaign, EmailTemplate, MailingList

Item = dict[str, Any]
_FAILED = "ConditionalCheckFailed"


def dynamo_data(record: "DataclassInstance") -> Item:
    """A record's fields as DynamoDB takes them: through JSON once, floats parsed as Decimal."""
    data: Item = json.loads(json_text(record), parse_float=Decimal)
    return data


def get_across(
    wanted: Mapping["Table", list[Item]], consistent: bool = True, attributes: Sequence[str] = ()
) -> dict[str, list[Item]]:
    """The items that exist of each table's keys, by table name, in no order: one read per hundred keys,
    whichever tables they are of. Strongly consistent unless not `consistent` (at half the price); with
    only the `attributes` named, if any."""
    found: dict[str, list[Item]] = {table.name: [] for table in wanted}
    keys = [(table, key) for table, table_keys in wanted.items() for key in table_keys]
    projection: dict[str, Any] = (
        {
            "ProjectionExpression": ", ".join(f"#a{index}" for index in range(len(attributes))),
            "ExpressionAttributeNames": {f"#a{index}": name for index, name in enumerate(attributes)},
        }
        if attributes
        else {}
    )
    for start in range(0, len(keys), 100):
        request: Any = {}
        for table, key in keys[start : start + 100]:
            request.setdefault(table.name, {"Keys": [], "ConsistentRead": consistent, **projection})[
                "Keys"
            ].append(key)
        client = keys[start][0].meta.client
        while request:
            answer = client.batch_get_item(RequestItems=request)
            for name, items in answer["Responses"].items():
                found[name].extend(items)
            request = answer.get("UnprocessedKeys") or None
    return found


def get_many(table: "Table", keys: list[Item]) -> list[Item]:
    """The items of the table that exist of those keys, strongly consistent, 100 to a read, in no order."""
    return get_across({table: keys})[table.name]


def queried(table: "Table", query: Item) -> Iterator[Item]:
    """Every item a query finds, page after page, read as they are needed."""
    request = dict(query)
    while True:
        page = table.query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def condition_failed(error: ClientError) -> bool:
    """Whether a write failed on its condition: a single one, or one of a transaction's."""
    code = error.response.get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


@dataclass(frozen=True)
class Taken:
    """A conditional write of what a send takes (its place in an hourly quota, its campaign, the check of
    its domain), made in one transaction with the call's record right before the send (store.idempotency).
    When its condition fails, `refused` raises what the call is answered; or it returns, having made the
    condition hold (a domain SES verified since it was last asked), and the writes are made again."""

    write: Item
    refused: Callable[[], None]


def cancelled(table: "Table", writes: list[Item]) -> dict[int, Item]:
    """Write all or nothing (through the table's client, in any table): nothing when written; else, by
    index, the cancellation reason of each write whose condition failed, with the item it found when the
    write asked for it (ReturnValuesOnConditionCheckFailure), in DynamoDB's typed form."""
    try:
        table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
    except ClientError as error:
        reasons: list[Item] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
        failed = {index: reason for index, reason in enumerate(reasons) if reason.get("Code") == _FAILED}
        if failed:
            return failed
        raise
    return {}


def to_item(record: "DataclassInstance", pk: str, sk: str) -> Item:
    return {"pk": pk, "sk": sk, **dynamo_data(record)}


def plain(value: Any) -> Any:
    """DynamoDB answers every number as Decimal; give them back as int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def update(table: "Table", key: Item, expression: str, condition: str | None = None, **values: Any) -> bool:
    """One update of an item: False when its condition failed. Each value :name is passed as name=, and each
    #name stands for the attribute of that name (a reserved word, such as state)."""
    request: dict[str, Any] = {"Key": key, "UpdateExpression": expression}
    names = {f"#{name}": name for name in re.findall(r"#(\w+)", f"{expression} {condition or ''}")}
    if names:
        request["ExpressionAttributeNames"] = names
    if values:
        request["ExpressionAttributeValues"] = {f":{name}": value for name, value in values.items()}
    if condition:
        request["ConditionExpression"] = condition
    try:
        table.update_item(**request)
    except ClientError as error:
        if condition_failed(error):
            return False
        raise
    return True


def put(table: "Table", item: Item, condition: Any) -> bool:
    """Put an item on a condition: False when the condition failed."""
    try:
        table.put_item(Item=item, ConditionExpression=condition)
    except ClientError as error:
        if condition_failed(error):
            return False
        raise
    return True


@dataclass(frozen=True)
class Records:
    """The records of one aggregate in one table."""

    table: "Table"

    def _get(self, pk: str, sk: str) -> Item | None:
        item = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return plain(item) if item else None

    def _get_many(self, keys: list[Item]) -> list[Item]:
        return [plain(item) for item in get_many(self.table, keys)]

    def _query(self, pk: str, prefix: str) -> list[Item]:
        """Every item of a partition whose sort key starts with prefix, all pages, strongly consistent."""
        query: Item = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": prefix},
            "ConsistentRead": True,
        }
        return [plain(item) for item in queried(self.table, query)]

    def _transact(self, writes: list[Item]) -> bool:
        """Write all or nothing; False when a condition failed."""
        try:
            self.table.meta.client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def _put_owned(self, record: "MailingList | EmailTemplate | Campaign", kind: str) -> None:
        self.table.put_item(Item=to_item(record, account_key(record.account_id), padded(kind, record.id)))

    def _get_owned(self, account_id: int, kind: str, record_id: int) -> Item | None:
        """The item of an account's record of that kind and id, if any, its numbers made plain."""
        return self._get(account_key(account_id), padded(kind, record_id))
