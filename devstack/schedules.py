"""A rate schedule of a function, as EventBridge runs one: the function invoked with a Scheduled Event once
every period, whatever the last invocation came to (EventBridge retries a failed one; the next period's
does here)."""

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from devstack.functions import Functions
from devstack.polling import invoke
from devstack.template import ACCOUNT_ID, REGION
from devstack.triggers import ScheduleTrigger


def scheduled_event(trigger: ScheduleTrigger, at: datetime) -> dict[str, Any]:
    """The event EventBridge hands a function its schedule invokes."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{trigger.function}{trigger.event}"],
        "detail": {},
    }


class SchedulePoller(threading.Thread):
    def __init__(self, trigger: ScheduleTrigger, functions: Functions, stopping: threading.Event) -> None:
        super().__init__(name=f"{trigger.function}.{trigger.event}", daemon=True)
        self.trigger, self.functions, self.stopping = trigger, functions, stopping

    def fire(self) -> None:
        event = scheduled_event(self.trigger, datetime.now(UTC))
        invoke(self.functions, self.trigger.function, event, f"its schedule {self.trigger.event}")

    def run(self) -> None:
        while not self.stopping.wait(self.trigger.every):
            self.fire()
