"""Id counters, in the data table: COUNTER / <kind>.

Subscribers and sends are numbered on inbound calls, where every AWS call is the caller's latency: a
container takes their ids a block at a time, one write per BLOCK ids. Ids stay unique and grow, but not one
by one: another container's block, or the rest of a block of a container that stopped, leaves a gap."""

import threading
from typing import Literal

from mailhooks.aws import aws
from mailhooks.settings import Settings, settings

IdKind = Literal["account", "list", "template", "campaign", "subscriber", "action"]
BLOCK = 100
_TAKEN_IN_BLOCKS: frozenset[IdKind] = frozenset({"subscriber", "action", "campaign"})
_lock = threading.Lock()
# kind -> (the next id of this container's block, the first id past it), of the tables these settings name
_blocks: dict[IdKind, tuple[int, int]] = {}
_taken_for: list[Settings] = []


def _take(kind: IdKind, count: int) -> int:
    """The last of `count` new ids of the kind."""
    answer = aws().data_table.update_item(
        Key={"pk": "COUNTER", "sk": kind},
        UpdateExpression="ADD #value :count",
        ExpressionAttributeNames={"#value": "value"},
        ExpressionAttributeValues={":count": count},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"]["value"])  # type: ignore[arg-type]


def next_id(kind: IdKind) -> int:
    if kind not in _TAKEN_IN_BLOCKS:
        return _take(kind, 1)
    with _lock:
        if not _taken_for or _taken_for[0] is not settings():  # read anew: maybe of other tables (tests)
            _taken_for[:] = [settings()]
            _blocks.clear()
        start, end = _blocks.get(kind, (0, 0))
        if start == end:
            end = _take(kind, BLOCK) + 1
            start = end - BLOCK
        _blocks[kind] = (start + 1, end)
        return start
