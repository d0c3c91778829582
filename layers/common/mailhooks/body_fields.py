"""The kinds of field owners' request bodies share (pydantic, as the admin API validates them), checked by
the same rules as the inbound parameters of the same kinds (mailhooks.inbound.parameters)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from mailhooks.inbound.addresses import email_address
from mailhooks.inbound.kinds import MAX_ID, one_line

# Text that becomes a header of an email (a subject, a sender's name).
Line = Annotated[str, AfterValidator(one_line)]
# The id of a list, template or other record: a positive number DynamoDB keys can hold.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# An address, checked and normalised, no DNS lookup.
Email = Annotated[str, AfterValidator(email_address), Field(json_schema_extra={"format": "email"})]
