"""Settings, read once per container from the environment that template.yaml sets."""

import json
import os
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from types import NoneType, UnionType
from typing import Any, get_args, get_origin


@dataclass(frozen=True)
class Settings:
    """Each field is read from the environment variable of its name in capitals; a list is written as JSON."""

    data_table: str
    activity_table: str
    delivery_table: str
    idempotency_table: str
    campaign_queue_url: str
    delivery_queue_url: str
    delivery_dead_letter_queue_url: str
    # Where Lambda describes the stream batches the fan-out gave up on; the operator replays them.
    fan_out_failure_queue_url: str
    # From address of the mails the platform itself sends (confirmation, welcome).
    sender_email: str
    ses_configuration_set: str | None = None
    max_body_bytes: int = 256 * 1024
    # The ARN of an SES identity is this prefix and the domain: a send names the account's own identity.
    ses_identity_arn_prefix: str = "arn:aws:ses:us-east-1:123456789012:identity/"
    # Each account's limits unless the operator set its own (python -m mailhooks account limits).
    default_emails_per_hour: int = 1000
    default_sms_per_hour: int = 100
    # Comma-separated ISO 3166 region codes.
    default_sms_countries: str = "ES"
    default_webhook_calls_per_second: int = 20
    default_webhook_burst: int = 100
    # Delivery to export endpoints.
    delivery_connect_timeout: float = 3.0
    delivery_timeout: float = 10.0
    # Seconds to wait before each retry; after the last one the message goes to the dead-letter queue.
    delivery_retry_schedule: list[int] = field(default_factory=lambda: [5, 60, 300, 1800, 7200, 21600, 43200])
    # Lets endpoints use http and loopback or private addresses: for the local stack, never in production.
    allow_local_endpoints: bool = False
    # This API's own host, as API Gateway names it: no export endpoint may be there (the deliver function's).
    api_host: str | None = None
    # An endpoint's circuit breaker opens when at least this share of at least this many of its attempts
    # within the window failed; its messages then wait, unsent, this long before one probe is tried. It is
    # also how long a 429, 502, 503 or 504 without Retry-After holds an endpoint back.
    breaker_failure_rate: float = 0.7
    breaker_min_attempts: int = 10
    breaker_window_seconds: int = 300
    breaker_open_seconds: int = 60
    # An endpoint that has only failed for this long is disabled; its owner is warned after the first span.
    endpoint_warn_after_seconds: int = 24 * 3600
    endpoint_disable_after_seconds: int = 5 * 24 * 3600
    # The first wait of a message over its endpoint's throttle; it doubles with each further wait.
    throttle_wait_seconds: float = 1.0


_FALSE, _TRUE = ("0", "f", "false", "n", "no", "off"), ("1", "t", "true", "y", "yes", "on")


def _parsed(name: str, kind: Any, text: str) -> object:
    """One variable's text as its field's type."""
    wanted = (
        next(arg for arg in get_args(kind) if arg is not NoneType) if isinstance(kind, UnionType) else kind
    )
    try:
        if get_origin(wanted) is list:
            values = json.loads(text)
            if not isinstance(values, list) or not all(type(value) is int for value in values):
                raise ValueError("not a JSON list of integers")
            return values
        if wanted is bool:
            if text.lower() not in _FALSE + _TRUE:
                raise ValueError("neither true nor false")
            return text.lower() in _TRUE
        return wanted(text)
    except ValueError as error:
        raise ValueError(f"{name.upper()}={text!r} is not {wanted.__name__}: {error}") from None


# Read here, without pydantic: its import was a third of a function's cold start, for the functions whose
# records need none (pydantic-settings, before, a quarter).
@cache
def settings() -> Settings:
    values = {
        setting.name: _parsed(setting.name, setting.type, os.environ[setting.name.upper()])
        for setting in fields(Settings)
        if setting.name.upper() in os.environ
    }
    missing = [
        setting.name.upper()
        for setting in fields(Settings)
        if setting.name not in values and setting.default is MISSING and setting.default_factory is MISSING
    ]
    if missing:
        raise ValueError(f"not set: {', '.join(missing)}")
    return Settings(**values)  # type: ignore[arg-type]  # each value parsed as its field's type
