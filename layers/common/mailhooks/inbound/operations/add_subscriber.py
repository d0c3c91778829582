"""Add a subscriber to the webhook's list, with the list's own custom fields."""

import secrets
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, create_model

from mailhooks.errors import OutcomeUnknown, UpstreamFailure
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Email, Flag, Parameters
from mailhooks.models import ActivityKind, Automation, CustomFieldType, MailingList, SendingType, Subscriber
from mailhooks.sending.subscriptions import list_activity, send_confirmation_request, send_welcome
from mailhooks.store.counters import next_id
from mailhooks.store.lists import list_records


def _storable(number: float) -> float:
    # DynamoDB's numbers: 0, or a magnitude from 1e-130 up to below 1e126.
    if number != 0 and not 1e-130 <= abs(number) < 1e126:
        raise ValueError("must be 0 or between 1e-130 and 1e125 in size")
    return number


_FIELD_TYPES: dict[CustomFieldType, Any] = {
    "text": Annotated[str, Field(min_length=1)],
    # Infinity and NaN are no numbers a list stores (and a float too large to read is infinity).
    "number": Annotated[float, Field(allow_inf_nan=False), AfterValidator(_storable)],
    "date": date,
    "boolean": Flag,
}


class AddSubscriberParameters(Parameters):
    email: Email = Field(description="Address of the subscriber.")
    double_optin: Flag = Field(
        False,
        description="1: store the subscriber as pending and email a confirmation link; 0: active at once.",
    )
    welcome_email: Flag = Field(
        False, description="1: email a welcome message (once confirmed, with double opt-in)."
    )
    update_subscriber: Flag = Field(
        False, description="1: when the address is already in the list, update its custom fields."
    )

    def custom_fields(self) -> dict[str, Any]:
        base = AddSubscriberParameters.model_fields
        return {
            name: value
            for name, value in self.model_dump(mode="json").items()
            if name not in base and value is not None
        }


def field_name_problem(name: str) -> str | None:
    """Why a custom field cannot have this name, if it cannot: it becomes a parameter of add_subscriber."""
    if not name.strip():
        return "a field needs a name"
    if name in AddSubscriberParameters.model_fields:
        return f"{name!r} is a parameter of add_subscriber"
    # Names of the model's own machinery (model_dump, _private, copy...) cannot be fields of it.
    if name.startswith(("_", "model_")) or hasattr(BaseModel, name):
        return f"{name!r} is a reserved name; choose another"
    if len(name) > 100 or any(ord(character) < 32 for character in name):
        return f"{name[:40]!r} is not a usable name: at most 100 characters, no control characters"
    return None


def parameters_for_list(mailing_list: MailingList) -> type[AddSubscriberParameters]:
    """The base parameters plus each custom field of the list, typed as the list says."""
    fields: dict[str, Any] = {
        field.name: (_FIELD_TYPES[field.type], ...)
        if field.required
        else (_FIELD_TYPES[field.type] | None, None)
        for field in mailing_list.fields
        if field_name_problem(field.name) is None
    }
    return create_model("AddSubscriberParameters", __base__=AddSubscriberParameters, **fields)


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
        fields=params.custom_fields(),
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
    if params.update_subscriber and params.custom_fields():
        store.update_subscriber_fields(mailing_list.id, existing.email, params.custom_fields(), context.now)
    return Answer(201, {"id": existing.id, "email": existing.email})


OPERATION = Operation(
    name="add_subscriber",
    summary="Add a subscriber to the webhook's list. An address already in the list keeps its id and is "
    "left as it is unless update_subscriber is 1.",
    parameters=AddSubscriberParameters,
    run=run,
    parameters_for_list=parameters_for_list,
)
