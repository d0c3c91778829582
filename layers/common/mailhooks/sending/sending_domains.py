"""The domains an account sends email from: each an SES identity of its own, used once SES verifies it.

An inbound URL is public, so what it sends must be the account's own: a from_email is accepted only on a
domain the account added and SES verified (the owner published its DKIM records), never on the platform's
domain or another account's.
"""

import re
from dataclasses import dataclass, replace

from botocore.exceptions import ClientError

from mailhooks.aws import aws, upstream
from mailhooks.errors import Conflict, Forbidden, InvalidInput, NotFound, UpstreamFailure
from mailhooks.models import SendingDomain
from mailhooks.settings import settings
from mailhooks.store.items import Taken
from mailhooks.store.sending_domains import sending_domain_records

_DOMAIN = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
ACCOUNT_TAG = "mailhooks:account"


@dataclass(frozen=True)
class DkimRecord:
    """A DNS record the owner publishes so that SES verifies the domain and signs its mail."""

    name: str
    value: str
    type: str = "CNAME"


@dataclass(frozen=True)
class DomainStatus:
    domain: SendingDomain
    # verified, pending, failed, temporary_failure or not_started, as SES says.
    status: str

    @property
    def dkim_records(self) -> list[DkimRecord]:
        name = self.domain.domain
        return [
            DkimRecord(f"{token}._domainkey.{name}", f"{token}.dkim.amazonses.com")
            for token in self.domain.dkim_tokens
        ]


def domain_name(text: str) -> str:
    name = text.strip().lower().rstrip(".")
    if not _DOMAIN.fullmatch(name):
        raise InvalidInput(f"domain: {text[:80]!r} is not a domain name such as shop.example")
    return name


def _platform_domain() -> str:
    return _domain_of(settings().sender_email)


def _ses_code(failure: UpstreamFailure) -> str | None:
    cause = failure.__cause__
    return cause.response.get("Error", {}).get("Code") if isinstance(cause, ClientError) else None


def _ses_status(domain: str) -> str:
    with upstream("Amazon SES"):
        identity = aws().sesv2.get_email_identity(EmailIdentity=domain)
    if identity.get("VerifiedForSendingStatus"):
        return "verified"
    return str(identity.get("DkimAttributes", {}).get("Status", "PENDING")).lower()


def add_sending_domain(account_id: int, text: str) -> DomainStatus:
    """Claim the domain for the account and create its SES identity; the owner then publishes its DKIM."""
    name = domain_name(text)
    platform = _platform_domain()
    if name == platform or name.endswith(f".{platform}"):
        raise Forbidden(f"domain: {name} is the platform's own sending domain; add a domain of your own")
    records = sending_domain_records()
    domain = SendingDomain(domain=name, account_id=account_id)
    if not records.claim_sending_domain(domain):
        raise Conflict(f"domain: {name} is already added, by this account or another")
    try:
        with upstream("Amazon SES"):
            created = aws().sesv2.create_email_identity(
                EmailIdentity=name, Tags=[{"Key": ACCOUNT_TAG, "Value": str(account_id)}]
            )
    except UpstreamFailure as failure:
        records.release_sending_domain(account_id, name)
        if _ses_code(failure) == "AlreadyExistsException":
            raise Conflict(f"domain: {name} is already an identity of this platform's SES") from None
        raise
    created_domain = replace(
        domain,
        dkim_tokens=list(created.get("DkimAttributes", {}).get("Tokens", [])),
        verified=bool(created.get("VerifiedForSendingStatus")),
    )
    records.save_ses_state(created_domain)
    return DomainStatus(created_domain, "verified" if created_domain.verified else "pending")


def sending_domains(account_id: int) -> list[DomainStatus]:
    """The account's domains, each with SES's status as it is now."""
    statuses = []
    for domain in sending_domain_records().sending_domains(account_id):
        status = _ses_status(domain.domain)
        seen = replace(domain, verified=status == "verified")
        if seen.verified != domain.verified:
            sending_domain_records().save_ses_state(seen)
        statuses.append(DomainStatus(seen, status))
    return sorted(statuses, key=lambda each: each.domain.domain)


def remove_sending_domain(account_id: int, text: str) -> None:
    name = domain_name(text)
    if not sending_domain_records().release_sending_domain(account_id, name):
        raise NotFound(f"domain {name} is not a sending domain of this account")
    try:
        with upstream("Amazon SES"):
            aws().sesv2.delete_email_identity(EmailIdentity=name)
    except UpstreamFailure as failure:
        if _ses_code(failure) != "NotFoundException":
            raise


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def identity_arn(from_email: str) -> str:
    """The ARN of the SES identity of the address's domain."""
    return settings().ses_identity_arn_prefix + _domain_of(from_email)


def sender_identity(account_id: int, from_email: str) -> str:
    """The ARN of the SES identity a send from this address uses; Forbidden unless the domain is the
    account's and verified. SES is asked only until it says verified once."""
    name = _domain_of(from_email)
    domain = sending_domain_records().get_sending_domain(account_id, name)
    if domain is None:
        raise Forbidden(
            f"from_email: {name} is not a sending domain of this account; "
            "its owner adds it with POST /admin/sending-domains"
        )
    if not domain.verified:
        if _ses_status(name) != "verified":
            raise Forbidden(
                f"from_email: the sending domain {name} is not verified yet; publish its DKIM records"
            )
        sending_domain_records().save_ses_state(replace(domain, verified=True))
    return identity_arn(from_email)


def verified_domain(account_id: int, from_email: str) -> Taken:
    """The check, made with the send, that the address's domain is the account's and verified. Refused, SES
    is asked (sender_identity), and the send refused unless SES now says verified."""

    def refused() -> None:
        sender_identity(account_id, from_email)

    return Taken(sending_domain_records().verified_check(account_id, _domain_of(from_email)), refused)
