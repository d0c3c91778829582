"""Where moto stands in for AWS slowly enough to distort what runs on it, the fix, applied to moto in this
process: by the local stack, the tests and the benchmarks alike. Each fix keeps moto's behaviour and changes
only its cost.

moto 5.2's SQS computes every attribute of a queue, which counts all its messages (visible, in flight,
delayed) by asking each message whether it is visible, whenever it reads any one attribute: for each message
it receives (to read the retention period) and each it sends (to read ContentBasedDeduplication). Receiving
from a queue of N messages costs N-fold, and each message's answer builds two datetimes: a test that queues
thousands of deliveries spent most of its time there.
- The retention check reads the retention period alone.
- SQS's clock reads the milliseconds straight from time.time(), which moto's unix_time_millis computes
  through datetimes.
"""

import time
from datetime import datetime

import moto.sqs.models
from moto.core.utils import unix_time_millis
from moto.sqs.models import Message, SQSBackend


def _within_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_period = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())  # type: ignore[operator]


def _unix_time_millis(dt: datetime | None = None) -> float:
    return time.time() * 1000.0 if dt is None else unix_time_millis(dt)


def apply() -> None:
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention_period  # type: ignore[method-assign]
    setattr(moto.sqs.models, "unix_time_millis", _unix_time_millis)  # noqa: B010
