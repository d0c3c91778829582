"""Delete a subscriber from a list."""

from dataclasses import dataclass

from mailhooks.errors import NotFound
from mailhooks.inbound.kinds import EMAIL, integer
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Parameters, parameter
from mailhooks.store.lists import list_records


@dataclass(frozen=True, kw_only=True)
class DeleteSubscriberParameters:
    email: str = parameter(EMAIL, "Address of the subscriber.")
    list_id: int = parameter(integer(), "Id of the list to delete it from.")


def run(params: DeleteSubscriberParameters, context: OperationContext) -> Answer:
    store = list_records()
    # The list's owner checked, and the call logged, in the one write that deletes.
    owned = store.list_check(context.account.id, params.list_id)
    answer = Answer(201, {"email": params.email})
    failed = store.delete_subscriber(params.list_id, params.email, [owned, context.log_entry(answer)])
    if 1 in failed:
        raise NotFound(f"list {params.list_id} was not found")
    if failed:
        raise NotFound(f"subscriber {params.email} is not in list {params.list_id}")
    context.logged = True
    return answer


OPERATION = Operation(
    name="delete_subscriber",
    summary="Delete a subscriber from a list.",
    parameters=Parameters.of(DeleteSubscriberParameters),
    run=run,
)
