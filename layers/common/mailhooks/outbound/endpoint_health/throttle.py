"""The throttle an endpoint's owner sets: requests at once, and per second."""

import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from mailhooks import clock
from mailhooks.models import ExportEndpoint
from mailhooks.outbound.delivery.retries import jittered
from mailhooks.outbound.endpoint_health.breaker import LEASE
from mailhooks.outbound.queue import MAX_DELAY_SECONDS
from mailhooks.settings import settings
from mailhooks.store.endpoint_health import health_records
from mailhooks.store.keys import key_of


@contextmanager
def throttle(endpoint: ExportEndpoint) -> Iterator[bool]:
    """Whether the endpoint's throttle lets one more request go now; a slot of its requests at once is held
    until leaving."""
    key, at, records = key_of(endpoint), clock.now(), health_records()
    token = secrets.token_hex(8) if endpoint.max_concurrency is not None else None
    if token is not None and not records.take_slot(key, token, at, at + LEASE, endpoint.max_concurrency or 0):
        yield False
        return
    try:
        yield endpoint.max_per_second is None or records.take_second(key, at, endpoint.max_per_second)
    finally:
        if token is not None:
            records.give_slot(key, token)


def throttle_wait(waits: int) -> int:
    """Seconds a message over its endpoint's throttle waits, after `waits` waits before: doubled with each,
    so that a long backlog is not received again and again for nothing."""
    wait = jittered(settings().throttle_wait_seconds * 2.0 ** min(waits, 10))
    return min(MAX_DELAY_SECONDS, math.ceil(wait))
