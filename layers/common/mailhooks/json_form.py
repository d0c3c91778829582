"""The JSON form of the records, all plain dataclasses (so that no function but the admin API imports
pydantic, which was a third of their cold start), as the store, the queues and the call log keep them; and
the records read back from it.

It is the form pydantic gave the same records before, so that what is stored and queued reads the same
whichever code wrote it: a datetime as ISO 8601, UTC written "Z" (conditions compare the stored text), an
enum as its value, and compact JSON text."""

import json
from collections.abc import Mapping
from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_UTC_OFFSET = "+00:00"


def stamp(at: datetime) -> str:
    """A datetime as records keep it."""
    text = at.isoformat()
    return f"{text[: -len(_UTC_OFFSET)]}Z" if text.endswith(_UTC_OFFSET) else text


def _moment(value: str | datetime | None) -> datetime | None:
    """A datetime a record keeps, read back (or given as one)."""
    return value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        return stamp(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")


def json_text(record: "DataclassInstance") -> str:
    """The record as compact JSON text, nested records and all."""
    return json.dumps(asdict(record), default=_jsonable, separators=(",", ":"), ensure_ascii=False)


def json_data(record: "DataclassInstance") -> dict[str, Any]:
    """The record in its JSON form, as plain values."""
    data: dict[str, Any] = json.loads(json_text(record))
    return data


def json_object(text: str) -> dict[str, Any]:
    """The JSON object a text holds; a ValueError says why it holds none."""
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        raise ValueError(f"Invalid JSON: {error}") from None
    except RecursionError:
        raise ValueError("Invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ValueError("Input should be an object")
    return data


def own_fields(
    record_type: type["DataclassInstance"], data: Mapping[str, Any], times: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The values in data of the record type's own fields, those named in `times` read as datetimes: an
    item's keys, and what a record no longer has, are left out."""
    values = {field.name: data[field.name] for field in fields(record_type) if field.name in data}
    for name in times:
        if name in values:
            values[name] = _moment(values[name])
    return values


def json_answer(answer: object) -> str:
    """A record, or a list of records (or of plain values), as compact JSON text."""
    plain = [_plain(each) for each in answer] if isinstance(answer, list) else _plain(answer)
    return json.dumps(plain, default=_jsonable, separators=(",", ":"), ensure_ascii=False)


def _plain(value: object) -> object:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
