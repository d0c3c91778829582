"""Each inbound webhook's pace: calls per second with a burst, so that one leaked or looping caller cannot
take the capacity every account shares. The operator sets each account's maximum (python -m mailhooks
account limits); an owner may set a webhook below it."""

from dataclasses import dataclass
from datetime import datetime

from mailhooks.errors import TooManyRequests
from mailhooks.models import Account, InboundWebhook
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records


@dataclass(frozen=True)
class Pace:
    calls_per_second: int
    burst: int


def account_pace(account: Account) -> Pace:
    """The most any webhook of the account may take."""
    limits = account.limits
    return Pace(
        limits.webhook_calls_per_second or settings().default_webhook_calls_per_second,
        limits.webhook_burst or settings().default_webhook_burst,
    )


def pace_problems(account: Account, calls_per_second: int | None, burst: int | None) -> list[str]:
    most = account_pace(account)
    problems = []
    if calls_per_second is not None and not 1 <= calls_per_second <= most.calls_per_second:
        problems.append(f"calls_per_second: must be 1 to {most.calls_per_second}, this account's most")
    if burst is not None and not 1 <= burst <= most.burst:
        problems.append(f"burst: must be 1 to {most.burst}, this account's most")
    return problems


def keep_pace(webhook: InboundWebhook, account: Account, at: datetime) -> None:
    """Admit the call made at `at`, counted, or refuse it with 429 and the seconds until the webhook takes
    another."""
    most = account_pace(account)
    pace = Pace(
        min(webhook.calls_per_second or most.calls_per_second, most.calls_per_second),
        min(webhook.burst or most.burst, most.burst),
    )
    interval = -(-1000 // pace.calls_per_second)
    wait = inbound_webhook_records().admit_call(webhook, at, interval, (pace.burst - 1) * interval)
    if wait is not None:
        seconds = -(-wait // 1000)
        raise TooManyRequests(
            f"this webhook takes {pace.calls_per_second} calls a second (bursts of {pace.burst}); "
            f"retry in {seconds} s",
            retry_after=seconds,
        )
