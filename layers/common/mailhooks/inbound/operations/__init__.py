"""The platform operations an inbound webhook can run, by name."""

from typing import Any

from mailhooks.inbound.operations import (
    add_subscriber,
    delete_subscriber,
    send_campaign,
    send_email,
    send_sms,
    unsubscribe,
)
from mailhooks.inbound.operations.base import Answer, Operation, OperationContext

OPERATIONS: dict[str, Operation[Any]] = {
    operation.name: operation
    for operation in (
        add_subscriber.OPERATION,
        delete_subscriber.OPERATION,
        unsubscribe.OPERATION,
        send_sms.OPERATION,
        send_email.OPERATION,
        send_campaign.OPERATION,
    )
}

__all__ = ["OPERATIONS", "Answer", "Operation", "OperationContext"]
