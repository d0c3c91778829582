"""How many emails and SMS each account sent in each hour, counted atomically in the data table."""

from datetime import datetime, timedelta
from typing import Literal

from mailhooks.aws import aws
from mailhooks.store.items import Item
from mailhooks.store.keys import account_key

Channel = Literal["email", "sms"]
# An hour's count is kept a day: long enough for anyone to look at it, short enough to cost nothing.
_KEPT = timedelta(days=1)


def _key(account_id: int, channel: Channel, hour: datetime) -> dict[str, str]:
    return {"pk": account_key(account_id), "sk": f"SENT#{channel}#{hour:%Y-%m-%dT%H}"}


def taken(account_id: int, channel: Channel, hour: datetime, limit: int) -> Item:
    """The write that counts one send in the hour, unless the hour has limit of them already."""
    return {
        "Update": {
            "TableName": aws().data_table.name,
            "Key": _key(account_id, channel, hour),
            "UpdateExpression": "ADD #sent :one SET expires_at = :expires",
            "ConditionExpression": "attribute_not_exists(#sent) OR #sent < :limit",
            "ExpressionAttributeNames": {"#sent": "sent"},
            "ExpressionAttributeValues": {
                ":one": 1,
                ":limit": limit,
                ":expires": int((hour + _KEPT).timestamp()),
            },
        }
    }


def given_back(account_id: int, channel: Channel, hour: datetime) -> Item:
    """The write that uncounts a send the provider refused: it reached nobody."""
    return {
        "Update": {
            "TableName": aws().data_table.name,
            "Key": _key(account_id, channel, hour),
            "UpdateExpression": "ADD #sent :minus_one",
            "ExpressionAttributeNames": {"#sent": "sent"},
            "ExpressionAttributeValues": {":minus_one": -1},
        }
    }
