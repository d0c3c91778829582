"""Add a subscriber to the webhook's list, with the list's own custom fields."""

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mailhooks.errors import OutcomeUnknown, UpstreamFailure
from mailhooks.inbound.kinds import DATE, EMAIL, FLAG, NUMBER, Kind, text
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Declared, Parameters, parameter
from mailhooks.models import ActivityKind, Automation, CustomFieldType, MailingList, SendingType, Subscriber
from mailhooks.sending.subscriptions import list_activity, send_confirmation_request, send_welcome
from mailhooks.store.counters import next_id
from mailhooks.store.lists import list_records

_FIELD_KINDS: dict[CustomFieldType, Kind] = {
    "text": text(min_length=1),
    # Infinity and NaN are no numbers a list stores (and a number too large to read is infinity).
    "number": NUMBER,
    "date": DATE,
    "boolean": FLAG,
}


@dataclass(frozen=True, kw_only=True)
class AddSubscriberParameters:
    email: str = parameter(EMAIL, "Address of the subscriber.")
    double_optin: bool = parameter(
        FLAG, "1: store the subscriber as pending and email a confirmation link; 0: active at once.", False
    )
    welcome_email: bool = parameter(
        FLAG, "1: email a welcome message (once confirmed, with double opt-in).", False
    )
    update_subscriber: bool = parameter(
        FLAG, "1: when the address is already in the list, update its custom fields.", False
    )
    # The list's custom fields that were given, as the subscriber keeps them (a date as 2024-01-31).
    custom_fields: dict[str, Any] = field(default_factory=dict)


PARAMETERS = Parameters.of(AddSubscriberParameters)


def field_name_problem(name: str) -> str | None:
    """Why a custom field cannot have this name, if it cannot: it becomes a parameter of add_subscriber."""
    if not name.strip():
        return "a field needs a name"
    if name in PARAMETERS.named():
        return f"{name!r} is a parameter of add_subscriber"
    if len(name) > 100 or any(ord(character) < 32 for character in name):
        return f"{name[:40]!r} is not a usable name: at most 100 characters, no control characters"
    return None


def _kept(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def parameters_for_list(mailing_list: MailingList) -> Parameters[AddSubscriberParameters]:
    """The base parameters plus each custom field of the list, of the kind the list says."""
    custom = [
        Declared(name=each.name, kind=_FIELD_KINDS[each.type], required=each.required)
        for each in mailing_list.fields
        if field_name_problem(each.name) is None
    ]

    def make(values: dict[str, Any]) -> AddSubscriberParameters:
        given = {each.name: _kept(values[each.name]) for each in custom if values[each.name] is not None}
        base = {each.name: values[each.name] for each in PARAMETERS.declared}
        return AddSubscriberParameters(**base, custom_fields=given)

    return PARAMETERS.extended(custom, make)


def _request_confirmation(
    subscriber: Subscriber, mailing_list: MailingList, context: OperationContext
) -> None:
    try:
        send_confirmation_request(
            context.aws, context.settings, context.account.id, mailing_list, subscriber, context.base_url
        )
    except OutcomeUnknown:  # the link may be on its way: its pending subscriber stays for it
        raise
    except UpstreamFailure:
        list_records().remove_new_subscriber(subscriber)
        raise
    context.record_send(SendingType.TRIGGER, Automation.DOUBLE_OPTIN_CONFIRMATION, subscriber.email)


def _welcome(subscriber: Subscriber, mailing_list: MailingList, context: OperationContext) -> dict[str, str]:
    """What the answer says of the welcome email: nothing once it is sent."""
    try:
        send_welcome(context.aws, context.settings, context.account.id, mailing_list, subscriber.email)
    except UpstreamFailure as failure:
        # The subscription stands, written with its activity: the welcome email is a courtesy.
        return {"welcome_email_error": failure.message}
    context.record_send(SendingType.TRIGGER, Automation.WELCOME_EMAIL, subscriber.email)
    return {}


def _new_subscriber(
    params: AddSubscriberParameters, mailing_list: MailingList, context: OperationContext
) -> Subscriber:
    return Subscriber(
        id=next_id("subscriber"),
        list_id=mailing_list.id,
        email=params.email.lower(),
        status="pending" if params.double_optin else "active",
        fields=params.custom_fields,
        confirm_token=secrets.token_urlsafe(32) if params.double_optin else None,
        welcome_on_confirm=params.double_optin and params.welcome_email,
        created_at=context.now,
        updated_at=context.now,
    )


def run(params: AddSubscriberParameters, context: OperationContext) -> Answer:
    mailing_list = context.webhook_list()
    store = list_records()
    existing = None
    # Written without looking first: an address new to the list, the common case, costs one write.
    while existing is None:
        subscriber = _new_subscriber(params, mailing_list, context)
        # An active subscriber is written with its subscribe activity and the call's log entry; a pending
        # one's activity comes as it confirms, and its entry once its confirmation request is sent.
        subscribed = (
            None
            if subscriber.confirm_token
            else list_activity(
                ActivityKind.SUBSCRIBE, context.account.id, mailing_list.id, subscriber.email, context.now
            )
        )
        added = {"id": subscriber.id, "email": subscriber.email}
        logged = [] if subscriber.confirm_token else [context.log_entry(Answer(201, added))]
        if store.create_subscriber(subscriber, context.account.id, subscribed, logged):
            context.logged = bool(logged)
            if subscriber.confirm_token:
                _request_confirmation(subscriber, mailing_list, context)
            elif params.welcome_email:
                added.update(_welcome(subscriber, mailing_list, context))
            return Answer(201, added)
        # Stored before (a sender's retry, or a concurrent call): answer as a retry; gone again: add it.
        existing = store.get_subscriber(mailing_list.id, params.email)
    if params.update_subscriber and params.custom_fields:
        store.update_subscriber_fields(mailing_list.id, existing.email, params.custom_fields, context.now)
    return Answer(201, {"id": existing.id, "email": existing.email})


OPERATION = Operation(
    name="add_subscriber",
    summary="Add a subscriber to the webhook's list. An address already in the list keeps its id and is "
    "left as it is unless update_subscriber is 1.",
    parameters=PARAMETERS,
    run=run,
    parameters_for_list=parameters_for_list,
)
