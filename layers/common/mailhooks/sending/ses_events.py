"""Opens, clicks and complaints, from the notifications Amazon SES publishes for the configuration set.

Each notification is SES's own JSON (eventType, mail, and an object named after the event). The message
tags every sending of the platform carries (account, action, type) say whose activity it is: a
campaign's, a transactional email's, or an automation's (the double opt-in confirmation and the welcome
email, type 3); mails without them (the platform's mail to endpoint owners) are no one's activity.
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from mailhooks.models import ActivityKind, SendingType
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.store.activity import activity_log
from mailhooks.store.campaigns import campaign_records

logger = Logger(child=True)


class _SesModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel)


class Mail(_SesModel):
    destination: list[str] = Field(min_length=1)
    tags: dict[str, list[str]] = {}


class Open(_SesModel):
    timestamp: datetime


class Click(_SesModel):
    timestamp: datetime
    link: str


class ComplainedRecipient(_SesModel):
    email_address: str


class Complaint(_SesModel):
    timestamp: datetime
    complained_recipients: list[ComplainedRecipient]


class SesNotification(_SesModel):
    event_type: str
    mail: Mail
    open: Open | None = None
    click: Click | None = None
    complaint: Complaint | None = None


class Sending(BaseModel):
    """The sending a mail belongs to, as its message tags name it."""

    account: int
    action: int
    type: SendingType
    # An A/B campaign's variant, by its number (1 and on).
    variant: int | None = Field(None, ge=1)


# What an A/B campaign's winner is chosen by, of each SES event.
_REACTIONS = {"Open": "opens", "Click": "clicks"}


def _sending(mail: Mail) -> Sending | None:
    try:
        return Sending.model_validate({name: values[0] for name, values in mail.tags.items() if values})
    except ValidationError:
        return None


def _stable_id(*parts: object) -> str:
    """An activity id that a redelivered notification repeats, so that it rewrites the same item."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:24]


def activities_of(notification_id: str, notification: SesNotification) -> list[ActivityRecord]:
    """The activities one notification stands for: one per recipient it names."""
    sending = _sending(notification.mail)
    if sending is None:
        logger.info(
            "SES event of a mail without sending tags ignored", extra={"tags": notification.mail.tags}
        )
        return []
    # Opens and clicks name no recipient: every mail of the platform has one, its first destination.
    happened: list[tuple[ActivityKind, str, datetime, str | None]]
    if notification.event_type == "Open" and notification.open:
        happened = [(ActivityKind.OPEN, notification.mail.destination[0], notification.open.timestamp, None)]
    elif notification.event_type == "Click" and notification.click:
        click = notification.click
        happened = [(ActivityKind.CLICK, notification.mail.destination[0], click.timestamp, click.link)]
    elif notification.event_type == "Complaint" and notification.complaint:
        complaint = notification.complaint
        happened = [
            (ActivityKind.COMPLAINT, recipient.email_address, complaint.timestamp, None)
            for recipient in complaint.complained_recipients
        ]
    else:
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
        for index, (kind, email, at, url) in enumerate(happened)
    ]


def _count_reaction(notification: SesNotification) -> None:
    """An open or a click of an A/B campaign's variant, counted towards its winner once per recipient."""
    sending = _sending(notification.mail)
    reaction = _REACTIONS.get(notification.event_type)
    if sending is None or sending.variant is None or reaction is None:
        return
    campaign_records().count_reaction(
        sending.account, sending.action, sending.variant - 1, reaction, notification.mail.destination[0]
    )


def record_notifications(notifications: Iterable[tuple[str, str]]) -> None:
    """Record the activities of SES notifications, each given as (its SNS message id, its JSON), and count
    A/B campaigns' opens and clicks. A retry of the whole does each once more, changing nothing."""
    activities: list[ActivityRecord] = []
    notified: list[SesNotification] = []
    for notification_id, message in notifications:
        try:
            notification = SesNotification.model_validate_json(message)
        except ValidationError as error:
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
