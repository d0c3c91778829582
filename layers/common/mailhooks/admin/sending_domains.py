"""Sending domains: the domains an account's emails go out from, with the DKIM records that verify them."""

from datetime import datetime

from aws_lambda_powertools.event_handler import Response
from pydantic import ConfigDict, Field

from mailhooks.admin.base import Body, account_id, new_router
from mailhooks.sending.sending_domains import (
    DomainStatus,
    add_sending_domain,
    remove_sending_domain,
    sending_domains,
)

router = new_router()
PATH = "/admin/sending-domains"


class NewSendingDomain(Body):
    model_config = ConfigDict(extra="forbid")

    domain: str = Field(
        max_length=253, description="A domain the account's emails go out from, such as shop.example."
    )


class DnsRecord(Body):
    name: str
    type: str
    value: str


class SendingDomainView(Body):
    domain: str
    status: str = Field(
        description="verified: emails may be sent from it; pending: SES waits for the DKIM records; "
        "failed or temporary_failure: SES could not find them."
    )
    dkim_records: list[DnsRecord] = Field(description="CNAME records to publish in the domain's DNS.")
    created_at: datetime


def _view(status: DomainStatus) -> SendingDomainView:
    return SendingDomainView(
        domain=status.domain.domain,
        status=status.status,
        dkim_records=[
            DnsRecord(name=each.name, type=each.type, value=each.value) for each in status.dkim_records
        ],
        created_at=status.domain.created_at,
    )


@router.post(
    PATH,
    summary="Add a sending domain; publish its DKIM records, and SES verifies it",
    responses={201: {"description": "The domain, pending, with the DKIM records to publish"}},
)
def create(new: NewSendingDomain) -> tuple[SendingDomainView, int]:
    return _view(add_sending_domain(account_id(router), new.domain)), 201


@router.get(PATH, summary="The account's sending domains, with SES's verification status")
def list_all() -> list[SendingDomainView]:
    return [_view(status) for status in sending_domains(account_id(router))]


@router.delete(
    f"{PATH}/<domain>",
    summary="Remove a sending domain: emails from it are refused from now on",
    responses={204: {"description": "Removed"}},
)
def delete(domain: str) -> Response[str]:
    remove_sending_domain(account_id(router), domain)
    return Response(204, "application/json", "")
