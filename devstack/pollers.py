"""The pollers of every trigger of the template, started and stopped together.

A queue gets up to MaximumConcurrency pollers, as its batches may run at once on Lambda, but at most
LOCAL_POLLERS: each function has one instance here, which runs one invocation at a time (as the front
calls it too), so more pollers would only hold more messages in flight.
"""

import threading

from devstack.functions import Functions
from devstack.polling import Poller
from devstack.queues import QueuePoller
from devstack.schedules import SchedulePoller
from devstack.streams import StreamPoller
from devstack.topics import TopicPoller
from devstack.triggers import QueueTrigger, ScheduleTrigger, StreamTrigger, Trigger

LOCAL_POLLERS = 2
# How long stopping waits for an invocation under way to end.
STOP_SECONDS = 5.0


class Pollers:
    def __init__(self, found: list[Trigger], functions: Functions) -> None:
        self.stopping = threading.Event()
        self.threads: list[Poller | SchedulePoller] = []
        for trigger in found:
            if isinstance(trigger, StreamTrigger):
                self.threads.append(StreamPoller(trigger, functions, self.stopping))
            elif isinstance(trigger, QueueTrigger):
                count = min(trigger.max_concurrency or LOCAL_POLLERS, LOCAL_POLLERS)
                self.threads += [
                    QueuePoller(trigger, functions, self.stopping, number) for number in range(1, count + 1)
                ]
            elif isinstance(trigger, ScheduleTrigger):
                self.threads.append(SchedulePoller(trigger, functions, self.stopping))
            else:
                self.threads.append(TopicPoller(trigger, functions, self.stopping))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(STOP_SECONDS)
