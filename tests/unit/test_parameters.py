"""The inbound parameters, read without pydantic, answer as pydantic answered (its lax mode, the validators
mailhooks gave it, and the messages as the call's error put them): each kind against the pydantic type it
replaced, over values senders send and values they should not. Dates are read alike and explained in words
of ours. And addresses: the plain ones checked without email_validator get its answers."""

import itertools
import random
from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)
from pydantic.networks import validate_email

from mailhooks.errors import InvalidInput
from mailhooks.inbound import addresses
from mailhooks.inbound.addresses import email_address, phone_number, phone_text
from mailhooks.inbound.kinds import (
    DATE,
    EMAIL,
    FLAG,
    ID,
    MAX_ID,
    NUMBER,
    PHONE,
    Kind,
    _flag,
    ids,
    integer,
    one_line,
    text,
)
from mailhooks.inbound.operations.send_sms import _sender_id
from mailhooks.inbound.parameters import Declared, Parameters


def _storable(number: float) -> float:
    if number != 0 and not 1e-130 <= abs(number) < 1e126:
        raise ValueError("must be 0 or between 1e-130 and 1e125 in size")
    return number


def _integer_list(value: Any) -> Any:
    import json

    if isinstance(value, str):
        written = value.strip()
        if written.startswith("["):
            try:
                return json.loads(written)
            except (ValueError, RecursionError):
                raise ValueError("must be a list of integers such as [2222, 2223] or 2222,2223") from None
        return [part.strip() for part in written.split(",") if part.strip()]
    return value if isinstance(value, list) else [value]


_Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Each kind beside the pydantic type that read its parameters before, and the field's own constraints.
KINDS: dict[str, tuple[Kind, Any]] = {
    "line": (
        text(1, 200, one_line),
        (Annotated[str, AfterValidator(one_line)], Field(min_length=1, max_length=200)),
    ),
    "text": (text(1, 1600), Annotated[str, Field(min_length=1, max_length=1600)]),
    "sender": (text(check=_sender_id), Annotated[str, AfterValidator(_sender_id)]),
    "integer": (integer(), int),
    "id": (ID, _Id),
    "number": (
        NUMBER,
        Annotated[float, Field(allow_inf_nan=False), AfterValidator(_storable)],
    ),
    "flag": (FLAG, Annotated[bool, BeforeValidator(_flag)]),
    "email": (EMAIL, Annotated[str, AfterValidator(lambda value: validate_email(value)[1])]),
    "phone": (PHONE, Annotated[str, BeforeValidator(phone_text), AfterValidator(phone_number)]),
    "ids": (
        ids(1, 50),
        (Annotated[list[_Id], BeforeValidator(_integer_list)], Field(min_length=1, max_length=50)),
    ),
}
VALUES: list[Any] = [
    True,
    False,
    None,
    0,
    1,
    12,
    -3,
    2**63 - 1,
    2**63,
    12.0,
    12.5,
    -0.0,
    1e20,
    9.3e18,
    1e300,
    10**400,
    float("inf"),
    float("nan"),
    "12",
    " 12 ",
    "12.0",
    "12.",
    "12.5",
    ".5",
    "1e3",
    "1E-3",
    "0x1f",
    "1_000",
    "1__0",
    "_1",
    "+5",
    "-5",
    "",
    " ",
    "abc",
    "inf",
    "-Infinity",
    "nan",
    "\uff12",
    "12\n",
    "1e999",
    [],
    [1],
    [1, "2", "x", 0],
    ["[1]"],
    {},
    {"a": 1},
    "[2222, 2223]",
    "[2222, ",
    "[1, 1.5, true]",
    "2222,2223",
    " 2222 , 2223 ,",
    "2222,abc,0",
    ",".join(["1"] * 51),
    "[]",
    "\ud800",
    "a\udfffb@example.com",
    "one line",
    "two\nlines",
    "tab\there",
    "é" * 201,
    "x" * 1601,
    "Shop",
    "My Shop!",
    "12345",
    "ana@example.com",
    "Ana.B+x@Example.COM",
    "ana@example",
    "ana.example.com",
    "Ana <ana@example.com>",
    " ana@example.com ",
    "ana@ex--ample.com",
    "é@example.com",
    "ana@bücher.de",
    "a@x.test",
    "+34600000000",
    "0034600000000",
    "34600000000",
    34600000000,
    "600000000",
    "+1 202-555-0143",
    "2024-01-31",
    "true",
    "TRUE",
    "0",
    "1",
    "yes",
]


def _oracle(annotation: Any, value: Any) -> tuple[str, Any]:
    """What the pydantic type made of the value, as a call told it: the value, or the error."""
    declared = annotation if isinstance(annotation, tuple) else (annotation, ...)
    model: Any = create_model("Old", x=declared)
    try:
        return "read", model.model_validate({"x": value}).x
    except ValidationError as error:
        return "refused", "; ".join(_old_description(each) for each in error.errors(include_url=False))


def _old_description(error: Any) -> str:
    # inbound.parameters._describe, as it was.
    name, *inner = error["loc"]
    where = f"parameter {name!r}" + (
        f" (item {int(inner[0]) + 1})" if inner and isinstance(inner[0], int) else ""
    )
    message = error["msg"].removeprefix("Value error, ")
    received = error.get("input")
    if isinstance(received, str | int | float) and not isinstance(received, bool):
        shown = repr(received) if len(repr(received)) <= 60 else repr(received)[:57] + "..."
        return f"{where}: {message} (received {shown})"
    return f"{where}: {message}"


def _read(kind: Kind, value: Any) -> tuple[str, Any]:
    parameters = Parameters((Declared("x", kind, required=True),), dict)
    try:
        return "read", parameters.read({"x": value})["x"]
    except InvalidInput as error:
        return "refused", error.message


def _same(found: tuple[str, Any], expected: tuple[str, Any]) -> bool:
    if found[0] == expected[0] == "read" and isinstance(found[1], float) and found[1] != found[1]:
        return expected[1] != expected[1]
    return found == expected and type(found[1]) is type(expected[1])


@pytest.mark.parametrize("name", KINDS)
def test_each_kind_reads_and_refuses_as_pydantic_did(name: str) -> None:
    kind, annotation = KINDS[name]
    different = {
        repr(value): (_read(kind, value), _oracle(annotation, value))
        for value in VALUES
        if not _same(_read(kind, value), _oracle(annotation, value))
    }
    assert different == {}


def test_a_date_is_read_as_pydantic_read_it_and_refused_in_words_of_ours() -> None:
    written = [
        *VALUES,
        "2024-01-31T00:00:00",
        "2024-01-31T10:00:00",
        "2024-01-31T00:00:00Z",
        "2024-01-31T00:00",
        "2024-01-31 00:00:00",
        "2024-01-31t00:00:00",
        "2024-01-31T00:00:00+01:00",
        "2024-01-31T00:00:00.000Z",
        "2024-01-31T00:00:00.5",
        "2024-02-30",
        "2024-1-31",
        "31/01/2024",
        "20240131",
        " 2024-01-31",
        "2024-01-31 ",
        1706659200,
        1706659200000,
        1706659201,
        "1706659200",
        1706659200.0,
        19753,
        "86400",
        "2024-01-31T24:00:00",
        "2024-01-31T23:60:00",
    ]
    for value in written:
        found, (outcome, expected) = _read(DATE, value), _oracle(date, value)
        if outcome == "read":
            assert found == ("read", expected), value
        else:
            assert found[0] == "refused", value
            assert found[1].startswith("parameter 'x': must be a date such as 2024-01-31"), found


def test_every_problem_of_a_call_is_named_in_the_order_pydantic_named_them() -> None:
    class Old(BaseModel):
        model_config = ConfigDict(extra="forbid")
        name: Annotated[str, Field(min_length=1)]
        lists: Annotated[list[_Id], BeforeValidator(_integer_list)] = Field(min_length=1, max_length=50)
        flag: Annotated[bool, BeforeValidator(_flag)] = False

    parameters = Parameters(
        (
            Declared("name", text(1), required=True),
            Declared("lists", ids(1, 50), required=True),
            Declared("flag", FLAG, required=False, default=False),
        ),
        dict,
    )
    for values in [{}, {"name": "", "lists": "1,x,y", "other": 1, "flag": "no"}, {"lists": [0, 2**64]}]:
        with pytest.raises(ValidationError) as old:
            Old.model_validate(values)
        with pytest.raises(InvalidInput) as new:
            parameters.read(values)
        described = [
            _old_description(each)
            .replace(": Field required", " is required but not mapped")
            .replace(": Extra inputs are not permitted", " is not a parameter of this operation")
            for each in old.value.errors(include_url=False)
        ]
        assert new.value.message == "; ".join(described)


def _addresses() -> list[str]:
    """Plain addresses and near misses: every piece a sender's address is made of, in many orders."""
    pieces = ["ana", "Ana.B", "a+b", "x", "-", ".", "..", "_", "é", "1", "o'neil", "{x}", " ", '"q"']
    domains = [
        "example.com",
        "Example.COM",
        "ex-ample.co.uk",
        "ex--ample.com",
        "-x.com",
        "x-.com",
        "x.c",
        "x.c0m",
        "a.test",
        "x.localhost",
        "sub.onion",
        "xn--bcher-kva.de",
        "bücher.de",
        "1.2.3.4",
        "x_y.com",
        "x..com",
        "x.com.",
        "[1.2.3.4]",
        "a" * 64 + ".com",
        "a" * 63 + ".com",
        ".".join(["a" * 60] * 5) + ".com",
        "x",
    ]
    chosen = random.Random(17)
    written = [f"{local}@{domain}" for local, domain in itertools.product(pieces, domains)]
    written += [
        "".join(chosen.choice(pieces) for _ in range(chosen.randint(1, 4))) + "@" + chosen.choice(domains)
        for _ in range(400)
    ]
    return [*written, "a" * 64 + "@x.com", "a" * 65 + "@x.com", "no-at-sign", "@x.com", "a@", "a@@x.com"]


def test_an_address_is_read_as_email_validator_reads_it_whether_plain_or_not() -> None:
    different = {}
    plain = 0
    for written in _addresses():
        try:
            expected = ("read", validate_email(written)[1])
        except ValueError as error:
            expected = ("refused", str(error).splitlines()[0])
        try:
            found = ("read", email_address(written))
        except ValueError as error:
            found = ("refused", str(error))
        plain += addresses._plain(written.strip()) is not None
        if found[0] != expected[0] or (found[0] == "read" and found != expected):
            different[written] = (found, expected)
    assert different == {}
    # Most of them took the quick way, which the comparison is about.
    assert plain > 50
