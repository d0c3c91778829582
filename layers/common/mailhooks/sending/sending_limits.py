"""What an account may send: emails and SMS an hour, the countries its SMS go to and the sender ids they
show. Checked before each send, so that a leaked webhook URL costs at most the account's own allowance."""

from datetime import datetime, timedelta

from mailhooks.errors import Forbidden, TooManyRequests
from mailhooks.models import Account
from mailhooks.settings import settings
from mailhooks.store import sending_quota
from mailhooks.store.items import Item, Taken
from mailhooks.store.sending_quota import Channel

_SENDS = {"email": "emails", "sms": "SMS"}


def hourly_limit(account: Account, channel: Channel) -> int:
    if channel == "email":
        own, default = account.limits.emails_per_hour, settings().default_emails_per_hour
    else:
        own, default = account.limits.sms_per_hour, settings().default_sms_per_hour
    return default if own is None else own


def sms_countries(account: Account) -> list[str]:
    if account.limits.sms_countries is not None:
        return account.limits.sms_countries
    return [code.strip().upper() for code in settings().default_sms_countries.split(",") if code.strip()]


def hourly_quota(account: Account, channel: Channel, now: datetime) -> tuple[Taken, Item]:
    """The send's place in the account's hour, refused with 429 once the hour has its limit; and the write
    that gives it back, for a send the provider refused."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    limit = hourly_limit(account, channel)

    def refused() -> None:
        wait = int((hour + timedelta(hours=1) - now).total_seconds()) + 1
        raise TooManyRequests(
            f"this account may send {limit} {_SENDS[channel]} an hour and has sent them this hour; "
            f"retry in {wait} s, or ask the platform to raise the limit",
            retry_after=wait,
        )

    taken = Taken(sending_quota.taken(account.id, channel, hour, limit), refused)
    return taken, sending_quota.given_back(account.id, channel, hour)


def check_sms(account: Account, recipient: str, sender: str) -> None:
    """Forbidden unless the number's country and the sender id are allowed for the account."""
    import phonenumbers  # only SMS pay for it (see inbound.parameters)

    region = phonenumbers.region_code_for_number(phonenumbers.parse(recipient)) or "unknown"
    allowed = sms_countries(account)
    if region not in allowed:
        raise Forbidden(
            f"recipient: SMS to numbers of {region} are not allowed for this account "
            f"(allowed: {', '.join(allowed) or 'none'}); the platform operator can allow more countries"
        )
    if sender.lower() not in {registered.lower() for registered in account.limits.sms_sender_ids}:
        raise Forbidden(
            f"sender: {sender!r} is not a sender id registered for this account; "
            "the platform operator registers sender ids"
        )
