"""Subscriptions: their activities, their emails, and the links those emails carry.

A double opt-in confirmation link activates its pending subscriber. A campaign email's List-Unsubscribe
link (RFC 8058) unsubscribes its recipient from the list it was sent for: a POST of the form
List-Unsubscribe=One-Click unsubscribes, as mail clients send it. A GET of either link, as a link scanner
or a person following the link sends it, only shows a button that posts to it; the POST acts. Each link
carries a 256-bit random token that points to its subscriber.
"""

from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from html import escape
from urllib.parse import parse_qsl

from aws_lambda_powertools import Logger

from mailhooks import clock
from mailhooks.aws import Aws, aws
from mailhooks.errors import UpstreamFailure
from mailhooks.links import Page
from mailhooks.models import ActivityKind, Automation, MailingList, SendingType, Subscriber
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.sending.mail import send_mail
from mailhooks.settings import Settings, settings
from mailhooks.store.activity import activity_log
from mailhooks.store.items import Item
from mailhooks.store.lists import ListMember, Unsubscribed, list_records

logger = Logger(child=True)

ONE_CLICK = ("List-Unsubscribe", "One-Click")


def list_activity(
    kind: ActivityKind, account_id: int, list_id: int, email: str, at: datetime
) -> ActivityRecord:
    """A subscribe or an unsubscribe, attributed to the list; lists are what campaigns are sent to."""
    return ActivityRecord(
        account_id=account_id,
        action_id=list_id,
        type_id=SendingType.CAMPAIGN,
        activity_id=kind,
        email=email.lower(),
        occurred_at=at,
    )


def unsubscribe(
    account_id: int, list_id: int, email: str, at: datetime, written_with: Sequence[Item] = ()
) -> Unsubscribed:
    """Unsubscribe the address from the list, recording the unsubscribe when its status changes, with the
    writes given."""
    activity = list_activity(ActivityKind.UNSUBSCRIBE, account_id, list_id, email, at)
    return list_records().unsubscribe(list_id, email, activity, written_with)


def _trigger_send(automation: Automation, account_id: int, email: str, at: datetime) -> ActivityRecord:
    """The send of an automation's email: its opens and clicks come back tagged the same (_trigger_tags)."""
    return ActivityRecord(
        account_id=account_id,
        action_id=automation,
        type_id=SendingType.TRIGGER,
        activity_id=ActivityKind.SEND,
        email=email.lower(),
        occurred_at=at,
    )


def _trigger_tags(automation: Automation, account_id: int, mailing_list: MailingList) -> dict[str, str]:
    return {
        "account": str(account_id),
        "action": str(int(automation)),
        "type": str(int(SendingType.TRIGGER)),
        "list": str(mailing_list.id),
    }


def send_confirmation_request(
    aws: Aws,
    settings: Settings,
    account_id: int,
    mailing_list: MailingList,
    subscriber: Subscriber,
    base_url: str,
) -> None:
    link = f"{base_url}/subscriptions/confirm/{subscriber.confirm_token}"
    name = escape(mailing_list.name)
    send_mail(
        aws,
        settings,
        sender=settings.sender_email,
        to=subscriber.email,
        subject=f"Confirm your subscription to {mailing_list.name}",
        tags=_trigger_tags(Automation.DOUBLE_OPTIN_CONFIRMATION, account_id, mailing_list),
        html=f"<p>Please confirm your subscription to {name}: follow this link, and press Confirm on the "
        f'page it opens: <a href="{link}">{link}</a></p>',
    )


def send_welcome(
    aws: Aws, settings: Settings, account_id: int, mailing_list: MailingList, email: str
) -> None:
    send_mail(
        aws,
        settings,
        sender=settings.sender_email,
        to=email,
        subject=f"Welcome to {mailing_list.name}",
        tags=_trigger_tags(Automation.WELCOME_EMAIL, account_id, mailing_list),
        html=f"<p>Welcome to {escape(mailing_list.name)}. You are now subscribed.</p>",
    )


UNKNOWN_CONFIRMATION = Page(404, "Link not valid", "This confirmation link is unknown or was used already.")
UNKNOWN_UNSUBSCRIPTION = Page(
    404, "Link not valid", "This unsubscribe link is unknown, or its subscriber is no longer in the list."
)
NOT_ONE_CLICK = Page(
    400,
    "Not unsubscribed",
    "A one-click unsubscription posts the form List-Unsubscribe=One-Click; nothing was changed.",
)


def confirmation_form(token: str) -> Page:
    """What following a confirmation link shows: the button that confirms."""
    member = list_records().pending_confirmation(token)
    mailing_list = list_records().get_list(member.account_id, member.list_id) if member else None
    if member is None or mailing_list is None:
        return UNKNOWN_CONFIRMATION
    question = f"Subscribe {member.email} to {mailing_list.name}?"
    return Page(200, "Confirm your subscription", question, "Confirm")


def confirm_subscription(token: str) -> Page:
    """The confirmation page's button: activate the subscriber, record the subscribe, send the welcome email
    if it was asked for. A link works once: pressing it again records nothing."""
    member = list_records().pending_confirmation(token)
    if member is None:
        return UNKNOWN_CONFIRMATION
    mailing_list = list_records().get_list(member.account_id, member.list_id)
    subscriber = list_records().get_subscriber(member.list_id, member.email)
    if mailing_list is None or subscriber is None:
        return UNKNOWN_CONFIRMATION
    activity = list_activity(
        ActivityKind.SUBSCRIBE, member.account_id, member.list_id, member.email, clock.now()
    )
    if not list_records().confirm_subscriber(token, member, activity):
        return UNKNOWN_CONFIRMATION
    if subscriber.welcome_on_confirm:
        _welcome_on_confirm(member, mailing_list)
    return Page(200, "Subscription confirmed", f"{member.email} is now subscribed to {mailing_list.name}.")


def _welcome_on_confirm(member: ListMember, mailing_list: MailingList) -> None:
    try:
        send_welcome(aws(), settings(), member.account_id, mailing_list, member.email)
    except UpstreamFailure:
        # The subscription stands: the welcome email is a courtesy, and the link is used up.
        logger.exception("welcome email not sent", extra={"list_id": member.list_id})
        return
    sent = _trigger_send(Automation.WELCOME_EMAIL, member.account_id, member.email, clock.now())
    try:
        activity_log().put_one(sent)
    except Exception:
        # Sent: the page says so; only what export endpoints hear of it is lost.
        logger.exception("welcome email's send not recorded", extra={"list_id": member.list_id})


def _unsubscribe_link(token: str) -> tuple[ListMember, MailingList] | None:
    member = list_records().unsubscribe_link(token)
    mailing_list = list_records().get_list(member.account_id, member.list_id) if member else None
    return (member, mailing_list) if member and mailing_list else None


def unsubscribe_form(token: str) -> Page:
    """What following an unsubscribe link shows: the button that unsubscribes."""
    found = _unsubscribe_link(token)
    if found is None:
        return UNKNOWN_UNSUBSCRIPTION
    member, mailing_list = found
    question = f"Unsubscribe {member.email} from {mailing_list.name}?"
    return Page(200, "Unsubscribe", question, "Unsubscribe", (ONE_CLICK,))


def _form_fields(content_type: str | None, body: bytes) -> list[tuple[object, object]]:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return list(parse_qsl(body.decode("utf-8", "replace")))
    if media_type == "multipart/form-data" and content_type:
        form = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        return [
            (part.get_param("name", header="content-disposition"), str(part.get_content()).strip())
            for part in form.iter_parts()
        ]
    return []


def unsubscribe_by_link(token: str, content_type: str | None, body: bytes) -> Page:
    """A one-click unsubscription (RFC 8058): the form List-Unsubscribe=One-Click, urlencoded or multipart,
    posted to the link."""
    found = _unsubscribe_link(token)
    if found is None:
        return UNKNOWN_UNSUBSCRIPTION
    if ONE_CLICK not in _form_fields(content_type, body):
        return NOT_ONE_CLICK
    member, mailing_list = found
    if unsubscribe(member.account_id, member.list_id, member.email, clock.now()) == "no subscriber":
        return UNKNOWN_UNSUBSCRIPTION
    return Page(200, "Unsubscribed", f"{member.email} gets no more emails from {mailing_list.name}.")
