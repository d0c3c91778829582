"""Parameter types that accept what external systems really send, and errors that name the parameter."""

import json
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.networks import validate_email
from pydantic_core import ErrorDetails

from mailhooks.errors import InvalidInput

_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def _flag(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be 0, 1, true or false")


def _integer_list(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                raise ValueError("must be a list of integers such as [2222, 2223] or 2222,2223") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    return value if isinstance(value, list) else [value]


_PHONE_FORM = (
    "must be a valid phone number with its international prefix, such as +34600000000 or 0034600000000"
)


def _phone_text(value: Any) -> Any:
    """A written number in the + form: senders drop the +, write 00 for it, or send the digits as a JSON
    number."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("00"):
        return "+" + text[2:]
    return text if text.startswith("+") else "+" + text


def _e164(value: str) -> str:
    # Imported at the first number: its metadata is a tenth of a second of every cold start otherwise, and
    # only SMS take numbers.
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError(_PHONE_FORM) from None
    # A national number without its country's prefix is mostly no valid number with a + before it.
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_PHONE_FORM)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    # pydantic's EmailStr check, made when an address comes rather than when a model is built: it imports
    # email_validator, whose patterns take longer to compile than any module of ours, and an admin API cold
    # start mostly reads no address.
    return validate_email(value)[1]


def _one_line(value: str) -> str:
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise ValueError("must be one line, without line breaks or control characters")
    return value


# Text that becomes a header of an email (a subject, a sender's name): a line break would start a new one.
Line = Annotated[str, AfterValidator(_one_line)]
# The id of a list, template or other record: a positive number DynamoDB keys can hold.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# 0/1, "0"/"1", true/false and "true"/"false", as form builders and shops send them.
Flag = Annotated[bool, BeforeValidator(_flag)]
# Ids as a JSON array, the quoted "[2222, 2223]", a comma-separated "2222,2223", or one number.
IdList = Annotated[list[Id], BeforeValidator(_integer_list)]
# Any written form with an international prefix (+34, 0034, or the bare digits 34...), normalised to E.164.
Phone = Annotated[str, BeforeValidator(_phone_text), AfterValidator(_e164)]
# An address as pydantic's EmailStr takes it: checked and normalised by email_validator, no DNS lookup.
Email = Annotated[str, AfterValidator(_email), Field(json_schema_extra={"format": "email"})]

Model = TypeVar("Model", bound=BaseModel)


class Parameters(BaseModel):
    """Base of every operation's parameters: unknown names are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def _describe(error: ErrorDetails) -> str:
    name, *inner = error["loc"]
    where = f"parameter {name!r}" + (
        f" (item {int(inner[0]) + 1})" if inner and isinstance(inner[0], int) else ""
    )
    if error["type"] == "missing":
        return f"{where} is required but not mapped"
    if error["type"] == "extra_forbidden":
        return f"{where} is not a parameter of this operation"
    message = error["msg"].removeprefix("Value error, ")
    received = error.get("input")
    if isinstance(received, str | int | float) and not isinstance(received, bool):
        shown = repr(received) if len(repr(received)) <= 60 else repr(received)[:57] + "..."
        return f"{where}: {message} (received {shown})"
    return f"{where}: {message}"


def bind(model: type[Model], values: Mapping[str, Any]) -> Model:
    """The operation's parameters from the mapped values; every invalid one is named in one error."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidInput(
            "; ".join(_describe(detail) for detail in error.errors(include_url=False))
        ) from None
