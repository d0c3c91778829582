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


@cache
def settings() -> Settings:
    return Settings()
