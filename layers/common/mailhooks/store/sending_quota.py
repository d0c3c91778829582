"""How many emails and SMS each account sent in each hour, counted atomically in the data table."""

from datetime import datetime, timedelta
from typing import Literal

from mailhooks.aws import aws
from mailhooks.store.items import update
from mailhooks.store.keys import account_key

Channel = Literal["email", "sms"]
# An hour's count is kept a day: long enough for anyone to look at it, short enough to cost nothing.
_KEPT = timedelta(days=1)


def _key(account_id: int, channel: Channel, hour: datetime) -> dict[str, str]:
    return {"pk": account_key(account_id), "sk": f"SENT#{channel}#{hour:%Y-%m-%dT%H}"}


def take(account_id: int, channel: Channel, hour: datetime, limit: int) -> bool:
    """Count one send in the hour unless the hour already has limit of them: False then, nothing counted."""
    return update(
        aws().data_table,
        _key(account_id, channel, hour),
        "ADD #sent :one SET expires_at = :expires",
        "attribute_not_exists(#sent) OR #sent < :limit",
        one=1,
        limit=limit,
        expires=int((hour + _KEPT).timestamp()),
    )


def give_back(account_id: int, channel: Channel, hour: datetime) -> None:
    """Uncount a send the provider refused: it reached nobody."""
    update(aws().data_table, _key(account_id, channel, hour), "ADD #sent :minus_one", minus_one=-1)
