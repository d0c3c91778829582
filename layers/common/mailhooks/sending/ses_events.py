"""Opens, clicks and complaints, from the notifications Amazon SES publishes for the configuration set.

Each notification is SES's own JSON (eventType, mail, and an object named after the event). The message
tags every sending of the platform carries (account, action, type) say whose activity it is: a
campaign's, a transactional email's, or an automation's (the double opt-in confirmation and the welcome
email, type 3); mails without them (the platform's mail to endpoint owners) are no one's activity.

Read without pydantic, as the outbound functions' records are (mailhooks.json_form): it was a third of
this function's cold start.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from mailhooks.json_form import json_object
from mailhooks.models import ActivityKind, SendingType
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_log
from mailhooks.store.campaigns import campaign_records

logger = Logger(child=True)

_KINDS = {"Open": ActivityKind.OPEN, "Click": ActivityKind.CLICK, "Complaint": ActivityKind.COMPLAINT}
# What an A/B campaign's winner is chosen by, of each SES event.
_REACTIONS = {"Open": "opens", "Click": "clicks"}
_NUMBER = re.compile(r"[0-9]+")
Value = TypeVar("Value")


class NotANotification(ValueError):
    """A message that is no SES event notification, with what is wrong with it."""


def _member(data: Any, name: str, kind: type[Value]) -> Value:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, kind):
        raise NotANotification(f"{name} should be a {kind.__name__}")
    return value


def _strings(data: Any, name: str) -> list[str]:
    values = _member(data, name, list)
    if not all(isinstance(value, str) for value in values):
        raise NotANotification(f"{name} should hold strings")
    return values


def _time(data: Any) -> datetime:
    try:
        at = datetime.fromisoformat(_member(data, "timestamp", str))
    except ValueError:
        raise NotANotification("timestamp should be a date and time") from None
    if at.tzinfo is None:
        raise NotANotification("timestamp should name its time zone")
    return at


@dataclass(frozen=True)
class Sending:
    """The sending a mail belongs to, as its message tags name it."""

    account: int
    action: int
    type: SendingType
    # An A/B campaign's variant, by its number (1 and on).
    variant: int | None = None


def _number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is no number")
    return int(text)


# Whom an open, a click or a complaint names, when, and the link clicked.
Happened = list[tuple[str, datetime, str | None]]


def _happened(event_type: str, data: dict[str, Any], first: str) -> Happened | None:
    """Opens and clicks name no recipient: every mail of the platform has one, its first destination."""
    if event_type == "Open" and "open" in data:
        return [(first, _time(data["open"]), None)]
    if event_type == "Click" and "click" in data:
        return [(first, _time(data["click"]), _member(data["click"], "link", str))]
    if event_type == "Complaint" and "complaint" in data:
        at = _time(data["complaint"])
        recipients = _member(data["complaint"], "complainedRecipients", list)
        return [(_member(recipient, "emailAddress", str), at, None) for recipient in recipients]
    return None


@dataclass(frozen=True)
class SesNotification:
    """What an SES event notification says: its event, the mail's recipients and message tags, and, for
    an open, a click or a complaint, each recipient it names with when it happened and the link clicked."""

    event_type: str
    destination: list[str]
    tags: dict[str, list[str]]
    # None for another event, or one without its object.
    happened: Happened | None

    @classmethod
    def of(cls, message: str) -> "SesNotification":
        """The notification an SNS message holds; NotANotification says what is wrong with one that is
        none. Its open, click or complaint is read for those events only."""
        try:
            data = json_object(message)
        except ValueError as error:
            raise NotANotification(str(error)) from None
        event_type = _member(data, "eventType", str)
        mail = _member(data, "mail", dict)
        destination = _strings(mail, "destination")
        if not destination:
            raise NotANotification("destination should name a recipient")
        tags = _member(mail, "tags", dict) if "tags" in mail else {}
        for name in tags:
            _strings(tags, name)
        return cls(event_type, destination, tags, _happened(event_type, data, destination[0]))

    def sending(self) -> Sending | None:
        """The sending its message tags name; None without them, or when they name none."""
        first = {name: values[0] for name, values in self.tags.items() if values}
        try:
            variant = None if "variant" not in first else _number(first["variant"])
            sending = Sending(
                _number(first["account"]),
                _number(first["action"]),
                SendingType(_number(first["type"])),
                variant,
            )
        except (KeyError, ValueError):
            return None
        return None if variant is not None and variant < 1 else sending


def _stable_id(*parts: object) -> str:
    """An activity id that a redelivered notification repeats, so that it rewrites the same item."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:24]


def activities_of(notification_id: str, notification: SesNotification) -> list[ActivityRecord]:
    """The activities one notification stands for: one per recipient it names."""
    sending = notification.sending()
    if sending is None:
        logger.info("SES event of a mail without sending tags ignored", extra={"tags": notification.tags})
        return []
    kind = _KINDS.get(notification.event_type)
    if kind is None or notification.happened is None:
        logger.info("SES event of another kind ignored", extra={"event_type": notification.event_type})
        return []
    return [
        ActivityRecord(
            id=_stable_id(notification_id, index),
            account_id=sending.account,
            action_id=sending.action,
            type_id=sending.type,
            activity_id=kind,
            email=email,
            occurred_at=at,
            url=url,
        )
        for index, (email, at, url) in enumerate(notification.happened)
    ]


def _count_reaction(notification: SesNotification) -> None:
    """An open or a click of an A/B campaign's variant, counted towards its winner once per recipient."""
    sending = notification.sending()
    reaction = _REACTIONS.get(notification.event_type)
    if sending is None or sending.variant is None or reaction is None:
        return
    campaign_records().count_reaction(
        sending.account, sending.action, sending.variant - 1, reaction, notification.destination[0]
    )


def record_notifications(notifications: Iterable[tuple[str, str]]) -> None:
    """Record the activities of SES notifications, each given as (its SNS message id, its JSON), and count
    A/B campaigns' opens and clicks. A retry of the whole does each once more, changing nothing."""
    activities: list[ActivityRecord] = []
    notified: list[SesNotification] = []
    for notification_id, message in notifications:
        try:
            notification = SesNotification.of(message)
        except NotANotification as error:
            # Not a notification SES publishes: a retry would not make it one.
            logger.warning(
                "not an SES event notification", extra={"id": notification_id, "error": str(error)}
            )
            continue
        activities.extend(activities_of(notification_id, notification))
        notified.append(notification)
    activity_log().put(activities)
    for notification in notified:
        _count_reaction(notification)
