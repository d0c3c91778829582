"""Unsubscribe a subscriber from a list: kept, marked unsubscribed."""

from pydantic import Field

from mailhooks.errors import NotFound
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Email, Parameters
from mailhooks.sending.subscriptions import unsubscribe


class UnsubscribeParameters(Parameters):
    email: Email = Field(description="Address of the subscriber.")
    list_id: int = Field(description="Id of the list to unsubscribe it from.")


def run(params: UnsubscribeParameters, context: OperationContext) -> Answer:
    mailing_list = context.mailing_list(params.list_id)
    if unsubscribe(context.account.id, mailing_list.id, params.email, context.now) is None:
        raise NotFound(f"subscriber {params.email} is not in list {mailing_list.id}")
    return Answer(201, {})


OPERATION = Operation(
    name="unsubscribe",
    summary="Unsubscribe a subscriber from a list; it stays in the list, marked unsubscribed.",
    parameters=UnsubscribeParameters,
    run=run,
)
