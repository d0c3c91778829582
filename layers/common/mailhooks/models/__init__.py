"""The platform's records as mailhooks reads and writes them.

Each family of records is a module of its own (accounts, lists, campaigns, inbound, endpoints, sending
domains), imported the first time one of its names is asked of this package: a function's cold start
creates the classes of the records it reads, and not all of them. Every record is a plain dataclass,
written and read back through its JSON form (mailhooks.json_form). The literals and enums, which cost
nothing to make, are here.
"""

from enum import IntEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mailhooks.models.accounts import Account, AccountLimits, ApiKey
    from mailhooks.models.campaigns import AbTest, Campaign, EmailTemplate, RecipientCursor, Variant
    from mailhooks.models.endpoints import ExportEndpoint
    from mailhooks.models.inbound import InboundCallRecord, InboundWebhook, WebhookStats
    from mailhooks.models.lists import CustomField, MailingList, Subscriber
    from mailhooks.models.sending_domains import SendingDomain

Plan = Literal["paid", "free"]
CustomFieldType = Literal["text", "number", "date", "boolean"]
SubscriberStatus = Literal["active", "pending", "unsubscribed"]
# An A/B campaign is first "testing" (its variants to the test share), then "waiting" for the winner,
# then "sending" the winner to the rest.
CampaignStatus = Literal["queued", "testing", "waiting", "sending", "sent"]
WinnerBy = Literal["opens", "clicks"]
JsonValue = Any
DEFAULT_REPLAY_WINDOW_SECONDS = 600


class ActivityKind(IntEnum):
    """activity_id of the published format; also the checkboxes an export endpoint ticks."""

    SEND = 1
    OPEN = 2
    CLICK = 3
    SUBSCRIBE = 4
    UNSUBSCRIBE = 5
    COMPLAINT = 6


class SendingType(IntEnum):
    """type_id of the published format: the kind of sending an activity belongs to."""

    CAMPAIGN = 1
    AB_TEST = 2
    TRIGGER = 3
    TRANSACTIONAL_EMAIL = 4
    SMS = 5
    CHALLENGE = 6


class Automation(IntEnum):
    """action_id of a trigger send (type_id 3): the automation that sent it."""

    DOUBLE_OPTIN_CONFIRMATION = 1
    WELCOME_EMAIL = 2


_FAMILIES = {
    "AccountLimits": "accounts",
    "Account": "accounts",
    "ApiKey": "accounts",
    "SendingDomain": "sending_domains",
    "CustomField": "lists",
    "MailingList": "lists",
    "Subscriber": "lists",
    "EmailTemplate": "campaigns",
    "RecipientCursor": "campaigns",
    "Variant": "campaigns",
    "AbTest": "campaigns",
    "Campaign": "campaigns",
    "WebhookStats": "inbound",
    "InboundCallRecord": "inbound",
    "InboundWebhook": "inbound",
    "ExportEndpoint": "endpoints",
}


def __getattr__(name: str) -> Any:
    family = _FAMILIES.get(name)
    if family is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    record = getattr(import_module(f"{__name__}.{family}"), name)
    globals()[name] = record
    return record


__all__ = [
    "DEFAULT_REPLAY_WINDOW_SECONDS",
    "AbTest",
    "Account",
    "AccountLimits",
    "ActivityKind",
    "ApiKey",
    "Automation",
    "Campaign",
    "CampaignStatus",
    "CustomField",
    "CustomFieldType",
    "EmailTemplate",
    "ExportEndpoint",
    "InboundCallRecord",
    "InboundWebhook",
    "JsonValue",
    "MailingList",
    "Plan",
    "RecipientCursor",
    "SendingDomain",
    "SendingType",
    "Subscriber",
    "SubscriberStatus",
    "Variant",
    "WebhookStats",
    "WinnerBy",
]
