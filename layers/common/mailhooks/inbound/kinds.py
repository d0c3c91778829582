"""The kinds of value an inbound parameter takes, each read from what external systems really send, or refused
in the words pydantic's lax mode used (mailhooks.inbound.parameters)."""

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mailhooks.inbound.addresses import email_address, phone_number, phone_text

# The largest number a DynamoDB key of ours holds: the ids of lists, templates and the rest.
MAX_ID = 2**63 - 1
_TRUE = {"1", "true"}
_FALSE = {"0", "false"}
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]+(?:_[0-9]+)*(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_TIMESTAMP_TEXT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?")
_NOT_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)
# Timestamps above this are in milliseconds, as pydantic read them.
_MILLISECONDS_FROM = 20_000_000_000
_EPOCH = date(1970, 1, 1)
_A_DATE = "must be a date such as 2024-01-31"


# What a refusal received, where it is the value the parameter was given.
GIVEN: Any = object()


class Refused(ValueError):
    """Why a value is none of its kind: what was refused (an item of a list, which item), or the refusals of
    several items."""

    def __init__(
        self, message: str, received: Any = GIVEN, item: int | None = None, items: Sequence["Refused"] = ()
    ) -> None:
        super().__init__(message)
        self.message, self.received, self.item, self.items = message, received, item, items


# Each kind reads a value as external systems send it into what the operation takes, or refuses it.
Read = Callable[[Any], Any]


@dataclass(frozen=True)
class Kind:
    """What a parameter takes, and its name as the admin API shows it to owners."""

    name: str
    read: Read


def _unicode(value: str) -> str:
    """The text, unless it holds a lone surrogate (which JSON's \\u escapes can write): pydantic refused it
    where it counted or parsed a text's characters."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise Refused(
            "Input should be a valid string, unable to parse raw data as a unicode string"
        ) from None
    return value


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def text(
    min_length: int = 0, max_length: int | None = None, check: Callable[[str], str] | None = None
) -> Kind:
    """Text, of a length, passing a check of its own."""

    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise Refused("Input should be a valid string")
        if min_length or max_length is not None:
            _unicode(value)
        if len(value) < min_length:
            raise Refused(f"String should have at least {plural(min_length, 'character')}")
        if max_length is not None and len(value) > max_length:
            raise Refused(f"String should have at most {plural(max_length, 'character')}")
        return check(value) if check else value

    return Kind("string", read)


def one_line(value: str) -> str:
    """Text that becomes a header of an email (a subject, a sender's name): a line break would start a new
    one."""
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refused("Input should be a finite number")
        if not value.is_integer():
            raise Refused("Input should be a valid integer, got a number with a fractional part")
        if abs(value) >= 2**63:
            raise Refused("Unable to parse input string as an integer, exceeded maximum size")
        return int(value)
    if isinstance(value, str):
        written = _unicode(value).strip()
        if not _INTEGER_TEXT.fullmatch(written):
            raise Refused("Input should be a valid integer, unable to parse string as an integer")
        return int(written.partition(".")[0])
    raise Refused("Input should be a valid integer")


def integer(least: int | None = None, most: int | None = None) -> Kind:
    """A whole number, from least to most."""

    def read(value: Any) -> int:
        number = _whole(value)
        if least is not None and number < least:
            raise Refused(f"Input should be greater than or equal to {least}")
        if most is not None and number > most:
            raise Refused(f"Input should be less than or equal to {most}")
        return number

    return Kind("integer", read)


def _storable(number: float) -> float:
    # DynamoDB's numbers: 0, or a magnitude from 1e-130 up to below 1e126.
    if number != 0 and not 1e-130 <= abs(number) < 1e126:
        raise Refused("must be 0 or between 1e-130 and 1e125 in size")
    return number


def _number(value: Any) -> float:
    if isinstance(value, bool | int):
        try:
            return _storable(float(value))
        except OverflowError:  # an integer no float holds
            raise Refused("Input should be a valid number") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refused("Input should be a finite number")
        return _storable(value)
    if isinstance(value, str):
        written = _unicode(value).strip()
        if _NOT_FINITE.fullmatch(written):
            raise Refused("Input should be a finite number")
        if not _NUMBER_TEXT.fullmatch(written):
            raise Refused("Input should be a valid number, unable to parse string as a number")
        # Too large to read is infinity, which no list stores.
        return _number(float(written))
    raise Refused("Input should be a valid number")


def _from_timestamp(seconds: float) -> date:
    if abs(seconds) >= 1e15 or not math.isfinite(seconds):
        raise Refused(_A_DATE)
    if abs(seconds) > _MILLISECONDS_FROM:
        seconds /= 1000
    days, rest = divmod(seconds, 86400)
    if rest:
        raise Refused(f"{_A_DATE}, without a time of day")
    try:
        return _EPOCH + timedelta(days=int(days))
    except OverflowError:
        raise Refused(_A_DATE) from None


def _day(value: Any) -> date:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_timestamp(value)
    if not isinstance(value, str):
        raise Refused(_A_DATE)
    if _TIMESTAMP_TEXT.fullmatch(value):
        return _from_timestamp(float(value))
    moment = _MOMENT.fullmatch(value)
    day = moment[1] if moment else value if _DAY.fullmatch(value) else None
    try:
        found = date.fromisoformat(day) if day else None
        if moment:
            time = datetime.strptime(f"{moment[2]}:{moment[3]}:{moment[4] or '00'}", "%H:%M:%S")
    except ValueError:
        found = None
    if found is None:
        raise Refused(_A_DATE)
    if moment and (time.hour or time.minute or time.second or int(moment[5] or 0)):
        raise Refused(f"{_A_DATE}, without a time of day")
    return found


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise Refused("must be 0, 1, true or false")


_STRING = text()
# The id of a list, template or other record: a positive number DynamoDB keys can hold.
ID = integer(1, MAX_ID)


def _email(value: Any) -> str:
    return email_address(_STRING.read(value))


def _phone(value: Any) -> str:
    return phone_number(_STRING.read(phone_text(value)))


def _id_texts(value: Any) -> list[Any]:
    if isinstance(value, str):
        written = value.strip()
        if written.startswith("["):
            try:
                listed: list[Any] = json.loads(written)
            except (ValueError, RecursionError):
                raise Refused("must be a list of integers such as [2222, 2223] or 2222,2223") from None
            return listed
        return [part.strip() for part in written.split(",") if part.strip()]
    return value if isinstance(value, list) else [value]


def ids(min_length: int, max_length: int) -> Kind:
    """Ids as a JSON array, the quoted "[2222, 2223]", a comma-separated "2222,2223", or one number."""

    def read(value: Any) -> list[int]:
        listed = _id_texts(value)
        found, refused = [], []
        for index, item in enumerate(listed):
            try:
                found.append(ID.read(item))
            except Refused as why:
                refused.append(Refused(why.message, item, index + 1))
        if refused:
            raise Refused("items refused", items=refused)
        if len(found) < min_length:
            raise Refused(
                f"List should have at least {plural(min_length, 'item')} after validation, not 0", listed
            )
        if len(found) > max_length:
            raise Refused(
                f"List should have at most {plural(max_length, 'item')} after validation, not {len(found)}",
                listed,
            )
        return found

    return Kind("list of integers", read)


NUMBER = Kind("number", _number)
DATE = Kind("date", _day)
# 0/1, "0"/"1", true/false and "true"/"false", as form builders and shops send them.
FLAG = Kind("boolean", _flag)
# An address as pydantic's EmailStr took it: checked and normalised, no DNS lookup.
EMAIL = Kind("email", _email)
# Any written form with an international prefix (+34, 0034, or the bare digits 34...), normalised to E.164.
PHONE = Kind("string", _phone)
