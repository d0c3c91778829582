"""Sending domains: the domains an account's emails go out from, with the DKIM records that verify them."""

from dataclasses import dataclass
from datetime import datetime

from mailhooks.admin.base import account_id, route, view_of
from mailhooks.bodies import body_field, described, string
from mailhooks.sending.sending_domains import (
    DomainStatus,
    add_sending_domain,
    remove_sending_domain,
    sending_domains,
)

PATH = "/admin/sending-domains"


@dataclass(frozen=True, kw_only=True)
class NewSendingDomain:
    domain: str = body_field(string(253), "A domain the account's emails go out from, such as shop.example.")


@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str


@dataclass(frozen=True)
class SendingDomainView:
    domain: str
    status: str = described(
        "verified: emails may be sent from it; pending: SES waits for the DKIM records; "
        "failed or temporary_failure: SES could not find them."
    )
    dkim_records: list[DnsRecord] = described("CNAME records to publish in the domain's DNS.")
    created_at: datetime = described("When the account added it.")


def _view(status: DomainStatus) -> SendingDomainView:
    return SendingDomainView(
        domain=status.domain.domain,
        status=status.status,
        dkim_records=[view_of(DnsRecord, each) for each in status.dkim_records],
        created_at=status.domain.created_at,
    )


@route(
    "post",
    PATH,
    "Add a sending domain; publish its DKIM records, and SES verifies it",
    body=NewSendingDomain,
    status=201,
    answered="The domain, pending, with the DKIM records to publish",
)
def create(new: NewSendingDomain) -> SendingDomainView:
    return _view(add_sending_domain(account_id(), new.domain))


@route("get", PATH, "The account's sending domains, with SES's verification status")
def list_all() -> list[SendingDomainView]:
    return [_view(status) for status in sending_domains(account_id())]


@route(
    "delete",
    f"{PATH}/<domain>",
    "Remove a sending domain: emails from it are refused from now on",
    status=204,
    answered="Removed",
)
def delete(domain: str) -> None:
    remove_sending_domain(account_id(), domain)
