"""Settings, read once per container from the environment that template.yaml sets."""

from functools import cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    data_table: str
    campaign_queue_url: str
    # From address of the mails the platform itself sends (confirmation, welcome).
    sender_email: str
    ses_configuration_set: str | None = None
    max_body_bytes: int = 256 * 1024


@cache
def settings() -> Settings:
    return Settings()
