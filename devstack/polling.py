"""What every poller of the local stack shares: a thread that outlives any error, and logged invocations.

Lambda's pollers read an event source, invoke the function with a batch, and act on its answer. Here each
event source of the template gets threads of its own that do the same, through moto's APIs, until Ctrl-C.
"""

import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from devstack.functions import Functions

# Lambda polls streams four times a second, and queues with long polls. Here queues are polled too, since a
# long poll would hold moto's server (which applies one request at a time, see devstack.local_aws) for as
# long as it waits; and a poller that finds nothing polls less and less often, down to once every
# IDLE_INTERVAL, since each poll costs a request to moto, and an idle stack should cost next to nothing.
POLL_INTERVAL = 0.25
IDLE_INTERVAL = 1.0
# After a poll failed (moto stopping, say): not a busy loop of the same error.
ERROR_PAUSE = 1.0


def report(text: str) -> None:
    print(f"[poller] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Invocation:
    """What an invocation came to: the function's answer, or that it raised."""

    result: Any = None
    failed: bool = False


def invoke(functions: Functions, function: str, event: dict[str, Any], what: str) -> Invocation:
    """Invoke the function as the event source's poller does: an error is the function's, logged, and the
    poller goes on."""
    try:
        return Invocation(functions.invoke(function, event))
    except Exception:
        report(f"{function} raised on {what}:\n{traceback.format_exc().rstrip()}")
        return Invocation(failed=True)


class Poller(threading.Thread):
    """Calls poll() until stopped; poll() answers whether it found work, and when not the thread waits
    before the next, the longer the longer it has found nothing."""

    def __init__(self, name: str, stopping: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.stopping = stopping

    def poll(self) -> bool:
        raise NotImplementedError

    def run(self) -> None:
        interval = POLL_INTERVAL
        while not self.stopping.is_set():
            try:
                busy = self.poll()
            except Exception:
                if self.stopping.is_set():
                    return
                report(f"{self.name} failed to poll:\n{traceback.format_exc().rstrip()}")
                self.stopping.wait(ERROR_PAUSE)
                continue
            if busy:
                interval = POLL_INTERVAL
                continue
            self.stopping.wait(interval)
            interval = min(2 * interval, IDLE_INTERVAL)
