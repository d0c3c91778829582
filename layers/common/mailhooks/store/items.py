"""Records as DynamoDB items, shared by the modules of both tables."""

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

Item = dict[str, Any]


def dynamo_data(record: BaseModel) -> Item:
    """A record's fields as DynamoDB takes them: through JSON once, floats parsed as Decimal."""
    data: Item = json.loads(record.model_dump_json(), parse_float=Decimal)
    return data


def get_many(table: "Table", keys: list[Item]) -> list[Item]:
    """The items of the table that exist of those keys, strongly consistent, 100 to a read, in no order."""
    found: list[Item] = []
    for start in range(0, len(keys), 100):
        wanted: Any = {table.name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        while wanted:
            answer = table.meta.client.batch_get_item(RequestItems=wanted)
            found.extend(answer["Responses"].get(table.name, []))
            wanted = answer.get("UnprocessedKeys") or None
    return found
