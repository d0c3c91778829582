"""Email addresses and phone numbers as senders write them, checked and normalised.

An address is checked as pydantic's EmailStr checked it (email_validator, no DNS lookup, a "Name <address>"
form read for its address), with its words. email_validator compiles its patterns as it is imported, which
took longer than any module of ours: a plain address (ASCII letters, digits and the usual signs, a domain of
letters, digits and single hyphens) is checked here by the same rules, and only another (an internationalised
address, a name and its address, an invalid one) imports it. tests/unit/test_addresses.py holds the two to
the same answers."""

import re
from typing import Any

# pydantic's limit on what it reads as an address at all.
_MAX_TEXT = 2048
# RFC 5321's limits, as email_validator applies them.
_MAX_LOCAL, _MAX_ADDRESS, _MAX_LABEL = 64, 254, 63
_PLAIN = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+[A-Za-z]{2,})"
)
# Domains the IETF reserved, which email_validator refuses, with every name under them.
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
_INVALID = "value is not a valid email address: {}"
# "Ana Ruiz <ana@example.com>" or '"Ruiz, Ana" <ana@example.com>', whose address pydantic read.
_NAME_CHARACTER = r"[\w.!#$%&'*+\-/=?^_`{|}~]"
_NAMED = re.compile(rf'\s*(?:((?:{_NAME_CHARACTER}+\s+)*{_NAME_CHARACTER}+)|"((?:[^"]|\")+)")?\s*<(.+)>\s*')

_PHONE_FORM = (
    "must be a valid phone number with its international prefix, such as +34600000000 or 0034600000000"
)


def _plain(text: str) -> str | None:
    """The normalised address, where the text is a plain address email_validator takes; None where it is
    none, or where email_validator must tell."""
    found = _PLAIN.fullmatch(text)
    if found is None or len(found["local"]) > _MAX_LOCAL or len(text) > _MAX_ADDRESS:
        return None
    domain = found["domain"].lower()
    labels = domain.split(".")
    if any(len(label) > _MAX_LABEL for label in labels) or labels[-1] in _SPECIAL_USE:
        return None
    return f"{found['local']}@{domain}"


def email_address(value: str) -> str:
    """The address a text holds, normalised (its domain lower case); a ValueError says why it holds none."""
    if len(value) > _MAX_TEXT:
        raise ValueError(_INVALID.format(f"Length must not exceed {_MAX_TEXT} characters"))
    if "\r" in value or "\n" in value:
        raise ValueError(_INVALID.format("Carriage return and line feed characters are not allowed"))
    plain = _plain(value.strip())
    if plain is not None:
        return plain
    import email_validator

    named = _NAMED.fullmatch(value)
    try:
        return email_validator.validate_email(
            (named[3] if named else value).strip(), check_deliverability=False
        ).normalized
    except email_validator.EmailNotValidError as error:
        raise ValueError(_INVALID.format(error.args[0])) from None


def phone_text(value: Any) -> Any:
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


def phone_number(value: str) -> str:
    """The number, in E.164; a ValueError where it is no valid number with its international prefix."""
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
