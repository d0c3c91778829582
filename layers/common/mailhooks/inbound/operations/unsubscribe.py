"""Unsubscribe a subscriber from a list: kept, marked unsubscribed."""

from dataclasses import dataclass

from mailhooks.errors import NotFound
from mailhooks.inbound.kinds import EMAIL, integer
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext
from mailhooks.inbound.parameters import Parameters, parameter
from mailhooks.sending.subscriptions import unsubscribe
from mailhooks.store.lists import list_records


@dataclass(frozen=True, kw_only=True)
class UnsubscribeParameters:
    email: str = parameter(EMAIL, "Address of the subscriber.")
    list_id: int = parameter(integer(), "Id of the list to unsubscribe it from.")


def run(params: UnsubscribeParameters, context: OperationContext) -> Answer:
    # The list's owner checked, and the call logged, in the one write that unsubscribes.
    owned = list_records().list_check(context.account.id, params.list_id)
    answer = Answer(201, {})
    done = unsubscribe(
        context.account.id, params.list_id, params.email, context.now, [owned, context.log_entry(answer)]
    )
    if done == "refused":
        raise NotFound(f"list {params.list_id} was not found")
    if done == "no subscriber":
        raise NotFound(f"subscriber {params.email} is not in list {params.list_id}")
    # Unsubscribed already: nothing was written, the call's entry with the rest.
    context.logged = done == "changed"
    return answer


OPERATION = Operation(
    name="unsubscribe",
    summary="Unsubscribe a subscriber from a list; it stays in the list, marked unsubscribed.",
    parameters=Parameters.of(UnsubscribeParameters),
    run=run,
)
