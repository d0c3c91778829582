"""Sending domains: an account sends email only from its own domains, once SES verified them."""

import json
from typing import Any

import boto3
import pytest

from devstack.moto_fixes import verify_domain
from devstack.template import Stack
from tests.support.admin import admin
from tests.support.helpers import (
    CAMPAIGN_CALL,
    CAMPAIGN_MAPPING,
    call,
    campaign_messages,
    hook_event,
    records,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
    sent_emails,
)

EMAIL_MAPPING = {name: f"/{name}" for name in ("body", "to_email", "from_email", "subject")}


@pytest.fixture
def platform(stack: Stack) -> Stack:
    """Accounts 12 (shop.example) and 13 (shop13.example), verified; the platform's own is example.com."""
    seed_account(12)
    seed_account(13)
    seed_list(12, 2222)
    seed_template(12, 31)
    return stack


def email_from(sender: str) -> dict[str, Any]:
    return {
        "body": "<p>Your order</p>",
        "to_email": "ana@example.com",
        "from_email": sender,
        "subject": "Order",
    }


@pytest.mark.parametrize(
    ("sender", "error"),
    [
        pytest.param(
            "orders@shop13.example",
            "from_email: shop13.example is not a sending domain of this account; its owner adds it with "
            "POST /admin/sending-domains",
            id="another-accounts-domain",
        ),
        pytest.param(
            "security@example.com",
            "from_email: example.com is not a sending domain of this account; its owner adds it with "
            "POST /admin/sending-domains",
            id="the-platforms-domain",
        ),
        pytest.param(
            "orders@pending.example",
            "from_email: the sending domain pending.example is not verified yet; publish its DKIM records",
            id="unverified",
        ),
    ],
)
def test_an_email_from_a_domain_not_the_accounts_own_verified_one_is_403_and_sends_nothing(
    platform: Stack, sender: str, error: str
) -> None:
    assert admin("POST", "/admin/sending-domains", body={"domain": "pending.example"})[0] == 201
    webhook = seed_webhook("send_email", EMAIL_MAPPING)
    before = records()

    assert call(hook_event(webhook.token, json.dumps(email_from(sender))))[:2] == (403, {"error": error})
    assert sent_emails() == []
    assert records() == before


def test_an_email_from_the_accounts_verified_domain_names_its_identity(platform: Stack) -> None:
    webhook = seed_webhook("send_email", EMAIL_MAPPING)

    status, _, _ = call(hook_event(webhook.token, json.dumps(email_from("orders@shop.example"))))

    assert status == 200
    [sent] = sent_emails()
    assert sent.source == "orders@shop.example"


def test_a_campaign_from_another_accounts_domain_is_403_and_queues_nothing(platform: Stack) -> None:
    webhook = seed_webhook("send_campaign", CAMPAIGN_MAPPING)
    body = {**CAMPAIGN_CALL, "from_email": "news@shop13.example"}

    status, answer, _ = call(hook_event(webhook.token, json.dumps(body)))

    assert (status, answer) == (
        403,
        {
            "error": "from_email: shop13.example is not a sending domain of this account; its owner adds it "
            "with POST /admin/sending-domains"
        },
    )
    assert campaign_messages(platform) == []


def test_the_owner_adds_a_domain_publishes_its_dkim_and_sends_once_ses_verified_it(platform: Stack) -> None:
    status, added = admin("POST", "/admin/sending-domains", body={"domain": "News.Shop-B.example."})

    assert status == 201
    assert (added["domain"], added["status"]) == ("news.shop-b.example", "pending")
    assert len(added["dkim_records"]) == 3
    for record in added["dkim_records"]:
        token = record["name"].removesuffix("._domainkey.news.shop-b.example")
        assert record == {
            "name": f"{token}._domainkey.news.shop-b.example",
            "type": "CNAME",
            "value": f"{token}.dkim.amazonses.com",
        }
    identity = boto3.client("sesv2").get_email_identity(EmailIdentity="news.shop-b.example")
    assert identity["Tags"] == [{"Key": "mailhooks:account", "Value": "12"}]

    webhook = seed_webhook("send_email", EMAIL_MAPPING)
    assert call(hook_event(webhook.token, json.dumps(email_from("a@news.shop-b.example"))))[0] == 403

    verify_domain("news.shop-b.example")  # SES found the CNAME records
    listed = {each["domain"]: each["status"] for each in admin("GET", "/admin/sending-domains")[1]}
    assert listed == {"shop.example": "verified", "news.shop-b.example": "verified"}
    assert call(hook_event(webhook.token, json.dumps(email_from("a@news.shop-b.example"))))[0] == 200

    assert admin("DELETE", "/admin/sending-domains/news.shop-b.example") == (204, None)
    assert call(hook_event(webhook.token, json.dumps(email_from("b@news.shop-b.example"))))[0] == 403
    assert "news.shop-b.example" not in {
        each["IdentityName"] for each in boto3.client("sesv2").list_email_identities()["EmailIdentities"]
    }
    assert len(sent_emails()) == 1


@pytest.mark.parametrize(
    ("domain", "status", "error"),
    [
        ("shop13.example", 409, "domain: shop13.example is already added, by this account or another"),
        (
            "example.com",
            403,
            "domain: example.com is the platform's own sending domain; add a domain of your own",
        ),
        (
            "mail.example.com",
            403,
            "domain: mail.example.com is the platform's own sending domain; add a domain of your own",
        ),
        ("not a domain", 400, "domain: 'not a domain' is not a domain name such as shop.example"),
    ],
)
def test_a_domain_that_cannot_be_the_accounts_is_refused(
    platform: Stack, domain: str, status: int, error: str
) -> None:
    assert admin("POST", "/admin/sending-domains", body={"domain": domain}) == (status, {"error": error})
    assert [each["domain"] for each in admin("GET", "/admin/sending-domains")[1]] == ["shop.example"]


def test_one_account_cannot_remove_anothers_domain(platform: Stack) -> None:
    assert admin("DELETE", "/admin/sending-domains/shop13.example") == (
        404,
        {"error": "domain shop13.example is not a sending domain of this account"},
    )
    assert [each["domain"] for each in admin("GET", "/admin/sending-domains", account_id=13)[1]] == [
        "shop13.example"
    ]
