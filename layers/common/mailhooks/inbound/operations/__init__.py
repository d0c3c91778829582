"""The platform operations an inbound webhook can run, by name, each imported at its first use: a cold start
of the inbound function runs one webhook's operation, and the other five's modules (their parameters, and
the sending modules they call) wait for a call of theirs."""

from functools import cache
from importlib import import_module
from typing import Any

from mailhooks.inbound.operations.base import Answer, Operation, OperationContext

# Each is the name of its operation's module.
NAMES = ("add_subscriber", "delete_subscriber", "unsubscribe", "send_sms", "send_email", "send_campaign")


@cache
def operation_named(name: str) -> Operation[Any]:
    """The operation of that name, its module imported at the first call; KeyError where there is none."""
    if name not in NAMES:
        raise KeyError(name)
    found: Operation[Any] = import_module(f"{__name__}.{name}").OPERATION
    return found


def all_operations() -> dict[str, Operation[Any]]:
    """Every operation, by name."""
    return {name: operation_named(name) for name in NAMES}


__all__ = ["NAMES", "Answer", "Operation", "OperationContext", "all_operations", "operation_named"]
