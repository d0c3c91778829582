"""Id counters, in the data table: COUNTER / <kind>."""

from typing import Literal

from mailhooks.aws import aws

IdKind = Literal["account", "list", "template", "campaign", "subscriber", "action"]


def next_id(kind: IdKind) -> int:
    answer = aws().data_table.update_item(
        Key={"pk": "COUNTER", "sk": kind},
        UpdateExpression="ADD #value :one",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["value"])  # type: ignore[arg-type]
