"""Log lines with the email addresses and phone numbers in them masked: callers send them, errors repeat them
(a rejected address in SES's message, a received value in a validation error), and logs are kept for weeks
and read by operators. Answers to the caller keep them whole."""

import re
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

_EMAIL = re.compile(r"([A-Za-z0-9!#$%&*+/=?^_`{|}~-])[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]*@(?=[A-Za-z0-9-]+\.)")
# A number with its international prefix, or a bare one as a received value is quoted in an error.
_PHONE = re.compile(r"\+\d[\d ().-]{5,18}\d|(?<=['\"])\d{8,15}(?=['\"])")


def _masked_phone(match: re.Match[str]) -> str:
    number = match.group()
    digits = sum(character.isdigit() for character in number)
    shown = 3 if number.startswith("+") else 2
    return number[:shown] + "*" * max(digits - 4, 1) + number[-2:]


def masked(text: str) -> str:
    """The text with each address's name and each phone number's middle digits starred."""
    return _PHONE.sub(_masked_phone, _EMAIL.sub(r"\1***@", text))


class MaskedFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return masked(super().serialize(log))
