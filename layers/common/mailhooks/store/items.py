"""Records as DynamoDB items, shared by the modules of both tables."""

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
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


def condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


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
