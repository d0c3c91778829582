"""Lists, with their custom fields, and their subscribers: plain dataclasses, as every record is
(mailhooks.json_form), so that no function imports pydantic. The admin API reads a new list's fields as
a body of its own (mailhooks.admin.lists.NewCustomField)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mailhooks import clock
from mailhooks.json_form import own_fields
from mailhooks.models import CustomFieldType, JsonValue, SubscriberStatus


@dataclass(frozen=True)
class CustomField:
    """A subscriber field a list defines for itself, mapped like a parameter of add-subscriber."""

    name: str
    type: CustomFieldType = "text"
    required: bool = False


@dataclass(frozen=True)
class MailingList:
    id: int
    account_id: int
    name: str
    fields: list[CustomField] = field(default_factory=list)
    created_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "MailingList":
        """The list its JSON form (an item, numbers made plain) stands for."""
        values = own_fields(cls, data, times=("created_at",))
        values["fields"] = [
            CustomField(**own_fields(CustomField, found)) for found in values.get("fields", [])
        ]
        return cls(**values)


@dataclass(frozen=True)
class Subscriber:
    id: int
    list_id: int
    email: str
    status: SubscriberStatus
    fields: dict[str, JsonValue] = field(default_factory=dict)
    # Set while double opt-in waits for the confirmation link to be followed.
    confirm_token: str | None = None
    welcome_on_confirm: bool = False
    # The secret of the List-Unsubscribe link of the campaign emails it gets; set with the first one.
    unsubscribe_token: str | None = None
    created_at: datetime = field(default_factory=clock.now)
    updated_at: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> "Subscriber":
        """The subscriber its JSON form (an item, numbers made plain) stands for."""
        return cls(**own_fields(cls, data, times=("created_at", "updated_at")))
