"""The retry schedule: when a failed delivery is attempted again."""

import math
import random

from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings

# Waits are spread this much either way, so that what failed together is not tried again together.
JITTER = 0.2


def jittered(seconds: float) -> float:
    return seconds * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (spreads waits out; guards nothing)


def retry_wait(attempt: int, retry_after: float | None = None) -> int | None:
    """Seconds to wait after a failed attempt (numbered from 1 in its round) before the next, or None after
    the last."""
    schedule = settings().delivery_retry_schedule
    if attempt > len(schedule):
        return None
    return min(MAX_HOLD_SECONDS, math.ceil(max(jittered(schedule[attempt - 1]), retry_after or 0)))
