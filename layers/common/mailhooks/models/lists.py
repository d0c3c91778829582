"""Lists, with their custom fields, and their subscribers."""

from datetime import datetime

from pydantic import BaseModel, Field

from mailhooks import clock
from mailhooks.models import CustomFieldType, JsonValue, SubscriberStatus


class CustomField(BaseModel):
    """A subscriber field a list defines for itself, mapped like a parameter of add-subscriber."""

    name: str
    type: CustomFieldType = "text"
    required: bool = False


class MailingList(BaseModel):
    id: int
    account_id: int
    name: str
    fields: list[CustomField] = []
    created_at: datetime = Field(default_factory=clock.now)


class Subscriber(BaseModel):
    id: int
    list_id: int
    email: str
    status: SubscriberStatus
    fields: dict[str, JsonValue] = {}
    # Set while double opt-in waits for the confirmation link to be followed.
    confirm_token: str | None = None
    welcome_on_confirm: bool = False
    # The secret of the List-Unsubscribe link of the campaign emails it gets; set with the first one.
    unsubscribe_token: str | None = None
    created_at: datetime = Field(default_factory=clock.now)
    updated_at: datetime = Field(default_factory=clock.now)
