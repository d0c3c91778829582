"""The one clock of mailhooks: records, deliveries and endpoint health all read the time here, so that a
test can move it across the breaker's and the auto-disable's spans."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
