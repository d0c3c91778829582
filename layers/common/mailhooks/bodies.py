"""The admin API's request bodies, query strings and path ids, read without pydantic, and their JSON Schema.

pydantic and Powertools' OpenAPI validation built on it were more than half of the admin function's cold
start (issue 17). A body is a frozen dataclass whose fields say what each takes (`body_field`); it is read by
the kinds the inbound parameters are read by (mailhooks.inbound.kinds), in pydantic's words, so that owners
are told what they were told before: "name: String should have at least 1 character"."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mailhooks.errors import InvalidInput
from mailhooks.inbound.addresses import email_address
from mailhooks.inbound.kinds import FLAG, ID, MAX_ID, Refused, integer, one_line, plural, text

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

B = TypeVar("B", bound="DataclassInstance")
# Where in the request a problem is: field names and item numbers.
Place = tuple[str | int, ...]


class Problems(ValueError):
    """Every problem found in a value, each where it is."""

    def __init__(self, found: list[tuple[Place, str]]) -> None:
        super().__init__("; ".join(message for _, message in found))
        self.found = found


def _found(error: ValueError, at: Place = ()) -> list[tuple[Place, str]]:
    if isinstance(error, Problems):
        return [(at + place, message) for place, message in error.found]
    if isinstance(error, Refused) and error.items:
        return [((*at, item.item - 1), item.message) for item in error.items if item.item is not None]
    return [(at, str(error))]


@dataclass(frozen=True)
class Shape:
    """What a field takes: how a value is read (a ValueError says why it is refused) and its JSON Schema."""

    read: Callable[[Any], Any]
    schema: dict[str, Any]
    nullable: bool = False
    # The bodies its schema refers to, which the OpenAPI document describes beside it.
    refers: tuple[type, ...] = ()


def string(
    max_length: int | None = None, min_length: int = 0, check: Callable[[str], str] | None = None
) -> Shape:
    """Text, of a length, passing a check of its own."""
    schema: dict[str, Any] = {"type": "string"}
    if min_length:
        schema["minLength"] = min_length
    if max_length is not None:
        schema["maxLength"] = max_length
    return Shape(text(min_length, max_length, check).read, schema)


def line(min_length: int, max_length: int) -> Shape:
    """One line of text (a name, a subject), of a length: it becomes an email's header."""
    return string(max_length, min_length, one_line)


def whole(least: int | None = None, most: int | None = None) -> Shape:
    schema: dict[str, Any] = {"type": "integer"}
    if least is not None:
        schema["minimum"] = least
    if most is not None:
        schema["maximum"] = most
    return Shape(integer(least, most).read, schema)


def choice(values: Iterable[str]) -> Shape:
    """One of some words, as pydantic named them when it refused another."""
    allowed = list(values)
    quoted = [repr(value) for value in allowed]
    said = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]

    def read(value: Any) -> str:
        if value not in allowed or not isinstance(value, str):
            raise Refused(f"Input should be {said}")
        return value

    return Shape(read, {"type": "string", "enum": allowed})


def _aware_moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Refused("Input should be a valid datetime")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused("Input should be a valid datetime such as 2024-01-31T09:00:00Z") from None
    if moment.tzinfo is None:
        raise Refused("Input should have timezone info")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise Refused("is out of range") from None


def _texts(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Refused("Input should be a valid dictionary")
    refused = [(key,) for key, each in value.items() if not isinstance(each, str)]
    if refused:
        raise Problems([(place, "Input should be a valid string") for place in refused])
    return value


def _anything(value: Any) -> Any:
    return value


# The id of a list, template or other record.
ID_SHAPE = Shape(ID.read, {"type": "integer", "minimum": 1, "maximum": MAX_ID})
BOOLEAN = Shape(FLAG.read, {"type": "boolean"})
EMAIL = Shape(lambda value: email_address(text().read(value)), {"type": "string", "format": "email"})
MOMENT = Shape(_aware_moment, {"type": "string", "format": "date-time"})
TEXT_MAP = Shape(_texts, {"type": "object", "additionalProperties": {"type": "string"}})
ANY = Shape(_anything, {}, nullable=True)


def nullable(shape: Shape) -> Shape:
    """The shape, or null."""
    return Shape(
        lambda value: None if value is None else shape.read(value),
        {"anyOf": [shape.schema, {"type": "null"}]},
        nullable=True,
        refers=shape.refers,
    )


def checked(shape: Shape, check: Callable[[Any], Any]) -> Shape:
    """The shape, its value passing a check of its own."""
    return Shape(lambda value: check(shape.read(value)), shape.schema, shape.nullable, shape.refers)


def list_of(item: Shape, min_length: int = 0, max_length: int | None = None) -> Shape:
    def read(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise Refused("Input should be a valid list")
        found, problems = [], []
        for index, each in enumerate(value):
            try:
                found.append(item.read(each))
            except ValueError as refused:
                problems += _found(refused, (index,))
        if problems:
            raise Problems(problems)
        if len(found) < min_length:
            raise Refused(
                f"List should have at least {plural(min_length, 'item')} after validation, not {len(found)}"
            )
        if max_length is not None and len(found) > max_length:
            raise Refused(
                f"List should have at most {plural(max_length, 'item')} after validation, not {len(found)}"
            )
        return found

    schema: dict[str, Any] = {"type": "array", "items": item.schema}
    if min_length:
        schema["minItems"] = min_length
    if max_length is not None:
        schema["maxItems"] = max_length
    return Shape(read, schema, refers=item.refers)


def body_field(shape: Shape, description: str | None = None, default: Any = MISSING) -> Any:
    """A field of a body: what it takes, what it is for, and its value when left out."""
    metadata = {"shape": shape, "description": description, "default": default}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def nested(body: type["DataclassInstance"]) -> Shape:
    """A body within a body."""
    return Shape(
        lambda value: read_body(body, value),
        {"$ref": f"#/components/schemas/{body.__name__}"},
        refers=(body,),
    )


def given_fields(body: type["DataclassInstance"], data: Any, changes: bool = False) -> dict[str, Any]:
    """The values data gives the body's fields, each read; a Problems names every field that is missing,
    unknown or refused. In `changes`, what is left out stays as it is, and only a nullable field clears."""
    if not isinstance(data, Mapping):
        raise Problems([((), "Input should be a valid dictionary or object to extract fields from")])
    declared = {each.name: each for each in fields(body)}
    values: dict[str, Any] = {}
    problems: list[tuple[Place, str]] = []
    for name, each in declared.items():
        shape: Shape = each.metadata["shape"]
        if name not in data:
            if each.metadata["default"] is MISSING and not changes:
                problems.append(((name,), "Field required"))
        elif data[name] is None and changes and not shape.nullable:
            problems.append(((name,), "cannot be null; leave out what does not change"))
        else:
            try:
                values[name] = shape.read(data[name])
            except ValueError as refused:
                problems += _found(refused, (name,))
    problems += [((name,), "Extra inputs are not permitted") for name in data if name not in declared]
    if problems:
        raise Problems(problems)
    return values


def read_body(body: type[B], data: Any) -> B:
    """The body data gives, its left-out fields at their defaults; a Problems names every problem."""
    values = given_fields(body, data)
    try:
        return body(**values)
    except ValueError as refused:  # the body's own check of its fields together (__post_init__)
        raise Problems(_found(refused)) from None


def said(problems: Problems) -> InvalidInput:
    """One error naming every problem, each where it is: "variants.1.subject: ..."."""
    return InvalidInput(
        "; ".join(
            f"{'.'.join(str(part) for part in place) or 'body'}: {message}"
            for place, message in problems.found
        )
    )


def body_schema(body: type["DataclassInstance"]) -> dict[str, Any]:
    """The JSON Schema of a body, as the admin API's OpenAPI document shows it."""
    properties: dict[str, Any] = {}
    for each in fields(body):
        schema = dict(each.metadata["shape"].schema)
        if each.metadata["description"]:
            schema["description"] = each.metadata["description"]
        default = each.metadata["default"]
        # A change's fields default to "unchanged", not to a value of theirs (given_fields).
        if default is not MISSING and (default is not None or each.metadata["shape"].nullable):
            schema["default"] = default
        properties[each.name] = schema
    required = [each.name for each in fields(body) if each.metadata["default"] is MISSING]
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    if body.__doc__ and not body.__doc__.startswith(f"{body.__name__}("):
        schema["description"] = " ".join(body.__doc__.split())
    return schema


def described(description: str, default: Any = MISSING) -> Any:
    """A field of an answer, with what it means as the OpenAPI document says it."""
    metadata = {"description": description}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)
