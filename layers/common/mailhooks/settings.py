"""Settings, read once per container from the environment that template.yaml sets."""

from functools import cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    data_table: str
    activity_table: str
    delivery_table: str
    idempotency_table: str
    campaign_queue_url: str
    delivery_queue_url: str
    delivery_dead_letter_queue_url: str
    # From address of the mails the platform itself sends (confirmation, welcome).
    sender_email: str
    ses_configuration_set: str | None = None
    # A call that repeats a successful one (same webhook and parameters, or same Idempotency-Key) within
    # this window is a sender's retry: it gets the first answer and runs nothing.
    idempotency_window_seconds: int = 600
    max_body_bytes: int = 256 * 1024
    # Delivery to export endpoints.
    delivery_connect_timeout: float = 3.0
    delivery_timeout: float = 10.0
    # Seconds to wait before each retry; after the last one the message goes to the dead-letter queue.
    delivery_retry_schedule: list[int] = [5, 60, 300, 1800, 7200, 21600, 43200]
    # Lets endpoints use http and loopback or private addresses: for the local stack, never in production.
    allow_local_endpoints: bool = False


@cache
def settings() -> Settings:
    return Settings()
