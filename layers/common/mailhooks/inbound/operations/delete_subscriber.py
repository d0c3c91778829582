"""Delete a subscriber from a list."""

from pydantic import Field

from mailhooks.errors import NotFound
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Email, Parameters
from mailhooks.store.lists import list_records


class DeleteSubscriberParameters(Parameters):
    email: Email = Field(description="Address of the subscriber.")
    list_id: int = Field(description="Id of the list to delete it from.")


def run(params: DeleteSubscriberParameters, context: OperationContext) -> Answer:
    mailing_list = context.mailing_list(params.list_id)
    if not list_records().delete_subscriber(mailing_list.id, params.email):
        raise NotFound(f"subscriber {params.email} is not in list {mailing_list.id}")
    return Answer(201, {"email": params.email})


OPERATION = Operation(
    name="delete_subscriber",
    summary="Delete a subscriber from a list.",
    parameters=DeleteSubscriberParameters,
    run=run,
)
