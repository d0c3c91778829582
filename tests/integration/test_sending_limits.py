"""What a leaked webhook URL can cost: an account's sends an hour, its SMS countries and sender ids, and
each webhook's pace; set by the operator's command line, refused before anything reaches SES or SNS."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from devstack.template import Stack
from mailhooks.__main__ import main
from mailhooks.models import AccountLimits
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from tests.support.admin import admin
from tests.support.helpers import (
    SENDER_IDS,
    call,
    hook_event,
    records,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
    sent_sms,
)

SMS_MAPPING = {"body": "/text", "recipient": "/to", "sender": "/from"}
EMAIL_MAPPING = {name: f"/{name}" for name in ("body", "to_email", "from_email", "subject")}
# 10:59:30: the hour has 30 seconds left.
NOW = datetime(2026, 12, 1, 10, 59, 30, tzinfo=UTC)


def sms(to: str = "+34600000000", sender: str = "ShopEx") -> str:
    return json.dumps({"text": "Your order shipped", "to": to, "from": sender})


def operator(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()  # the functions' logs so far
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, (captured.out + captured.err).strip()


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mailhooks.clock.now", lambda: NOW)


def test_the_sixty_first_sms_of_an_hour_is_429_with_retry_after_and_reaches_no_one(
    stack: Stack, frozen: None, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_account(12)
    # The default pace lets 61 calls through at once: the hour's count is what refuses the last.
    assert operator(capsys, "account", "limits", "12", "--sms-per-hour", "60")[0] == 0
    webhook = seed_webhook("send_sms", SMS_MAPPING)

    answers = [call(hook_event(webhook.token, sms(f"+3460000{n:04d}"))) for n in range(61)]

    assert [status for status, _, _ in answers] == [201] * 60 + [429]
    _, body, headers = answers[-1]
    assert body == {
        "error": "this account may send 60 SMS an hour and has sent them this hour; retry in 31 s, "
        "or ask the platform to raise the limit"
    }
    assert headers["Retry-After"] == ["31"]
    assert len(sent_sms()) == 60
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count) == (60, 1)


def test_the_email_limit_counts_emails_and_a_new_hour_starts_afresh(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_account(12, limits=AccountLimits(emails_per_hour=2))
    webhook = seed_webhook("send_email", EMAIL_MAPPING)

    def email(n: int) -> int:
        body = {
            "body": "<p>x</p>",
            "to_email": f"a{n}@example.com",
            "from_email": "o@shop.example",
            "subject": "x",
        }
        return call(hook_event(webhook.token, json.dumps(body)))[0]

    monkeypatch.setattr("mailhooks.clock.now", lambda: NOW)
    assert [email(n) for n in range(3)] == [200, 200, 429]
    monkeypatch.setattr("mailhooks.clock.now", lambda: NOW.replace(hour=11, minute=0, second=0))
    assert email(3) == 200
    assert len(sent_emails()) == 3


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            sms(to="+33612345678"),
            "recipient: SMS to numbers of FR are not allowed for this account (allowed: ES); the platform "
            "operator can allow more countries",
            id="country",
        ),
        pytest.param(
            sms(sender="PayPal"),
            "sender: 'PayPal' is not a sender id registered for this account; the platform operator "
            "registers sender ids",
            id="sender-id",
        ),
    ],
)
def test_an_sms_to_a_country_or_from_a_sender_not_allowed_is_403_and_reaches_no_one(
    stack: Stack, body: str, error: str
) -> None:
    seed_account(12)
    webhook = seed_webhook("send_sms", SMS_MAPPING)
    before = records()

    assert call(hook_event(webhook.token, body))[:2] == (403, {"error": error})
    assert sent_sms() == {}
    assert records() == before


def test_the_operator_widens_the_countries_and_registers_a_sender(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_account(12)
    webhook = seed_webhook("send_sms", SMS_MAPPING)

    code, shown = operator(
        capsys, "account", "limits", "12", "--sms-countries", "es,fr", "--sms-sender-ids", "ShopEx,Boutique"
    )

    assert code == 0
    assert shown.splitlines() == [
        "account 12:",
        "  emails per hour           1000",
        "  SMS per hour              100",
        "  SMS countries             ES, FR",
        "  SMS sender ids            ShopEx, Boutique",
        "  webhook calls per second  20 (bursts of 100)",
    ]
    assert call(hook_event(webhook.token, sms(to="+33612345678", sender="Boutique")))[0] == 201
    assert call(hook_event(webhook.token, sms(sender=SENDER_IDS[1])))[0] == 403
    assert operator(capsys, "account", "limits", "12", "--sms-countries", "default")[1].splitlines()[3] == (
        "  SMS countries             ES"
    )
    assert operator(capsys, "account", "limits", "99") == (1, "error: account 99 was not found")
    assert operator(capsys, "account", "limits", "12", "--sms-per-hour", "-1")[0] == 1


def test_a_webhook_called_above_its_pace_answers_429_to_the_excess_only(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_account(12)
    seed_list(12, 2222)
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222, calls_per_second=2, burst=3)
    clock = {"now": NOW}
    monkeypatch.setattr("mailhooks.clock.now", lambda: clock["now"])

    def subscribe(n: int) -> tuple[int, Any, Any]:
        return call(hook_event(webhook.token, json.dumps({"email": f"s{n}@example.com"})))

    at_once = [subscribe(n) for n in range(5)]
    assert [status for status, _, _ in at_once] == [201, 201, 201, 429, 429]
    assert at_once[3][1] == {"error": "this webhook takes 2 calls a second (bursts of 3); retry in 1 s"}
    assert at_once[3][2]["Retry-After"] == ["1"]

    clock["now"] = NOW.replace(second=31)  # a second later: two more calls' worth
    assert [subscribe(n)[0] for n in range(5, 8)] == [201, 201, 429]
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count) == (5, 3)


def test_an_owner_may_lower_a_webhooks_pace_but_not_raise_it_above_the_accounts(stack: Stack) -> None:
    seed_account(12)
    seed_list(12, 2222)
    created = admin(
        "POST",
        "/admin/inbound-webhooks",
        body={"name": "Form", "operation": "add_subscriber", "list_id": 2222, "active": False},
    )[1]
    path = f"/admin/inbound-webhooks/{created['id']}"

    assert admin("PATCH", path, body={"calls_per_second": 21, "burst": 101}) == (
        400,
        {
            "error": "calls_per_second: must be 1 to 20, this account's most; burst: must be 1 to 100, this "
            "account's most"
        },
    )
    status, changed = admin("PATCH", path, body={"calls_per_second": 1, "burst": 5})
    assert (status, changed["calls_per_second"], changed["burst"]) == (200, 1, 5)
