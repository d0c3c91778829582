"""An export endpoint's owner email is confirmed by the link mailed to it before it is mailed anything else:
endpoints created and changed through the admin function's handler, the link followed and its button pressed
through the subscriptions function's handler, both with API Gateway events, the mails read from moto's SES,
and the health warnings sent by the deliver function and the scheduled review as in
tests/integration/test_endpoint_health.py."""

import re
from datetime import timedelta
from typing import Any

import pytest

from mailhooks.models import ActivityKind
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.activities import subscriber_page
from tests.support.admin import admin
from tests.support.health import OWNER, Clock, Queue, publish, run_review
from tests.support.helpers import load_event, records, sent_emails
from tests.support.receivers import Receiver, Reply

pytestmark = pytest.mark.usefixtures("deliver_function")

LINK = re.compile(
    r'href="https://abc123defg\.execute-api\.us-east-1\.amazonaws\.com/dev'
    r'(/subscriptions/endpoint-warnings/([A-Za-z0-9_-]{43}))"'
)
OTHER_OWNER = "oncall@shop.example"


def link_event(method: str, path: str) -> dict[str, Any]:
    """A GET of the link, as a person or a mail scanner follows it, or the POST of its page's button."""
    event = load_event("subscriptions_confirm.json")
    token = path.rsplit("/", 1)[1]
    event.update(httpMethod=method, path=path, pathParameters={"token": token})
    event.update(resource="/subscriptions/endpoint-warnings/{token}")
    event["requestContext"].update(httpMethod=method, path=f"/dev{path}")
    return event


def follow(path: str) -> tuple[int, str]:
    status, page, headers = subscriber_page(link_event("GET", path))
    assert (headers["Cache-Control"], headers["Referrer-Policy"]) == (["no-store"], ["no-referrer"])
    return status, page


def press_confirm(path: str) -> tuple[int, str]:
    status, page, _ = subscriber_page(link_event("POST", path))
    return status, page


def link_mailed_to(address: str) -> str:
    """The path of the confirmation link in the last mail, which went to `address`."""
    mail = sent_emails()[-1]
    assert mail.destinations["ToAddresses"] == [address]
    assert mail.source == settings().sender_email
    assert mail.subject == "Confirm your address for webhook endpoint warnings"
    found = LINK.search(mail.body)
    assert found is not None, mail.body
    return found.group(1)


def shown(endpoint_id: str) -> dict[str, Any]:
    status, endpoint = admin("GET", f"/admin/endpoints/{endpoint_id}")
    assert status == 200, endpoint
    return dict(endpoint)


def create(url: str, owner_email: str | None) -> dict[str, Any]:
    body = {"url": url, "activities": ["click"], "owner_email": owner_email}
    status, created = admin("POST", "/admin/endpoints", body=body)
    assert status == 201, created
    return dict(created)


def change_owner_email(endpoint_id: str, owner_email: str | None) -> dict[str, Any]:
    status, changed = admin("PATCH", f"/admin/endpoints/{endpoint_id}", body={"owner_email": owner_email})
    assert status == 200, changed
    return dict(changed)


def test_an_owner_email_is_warned_only_once_it_confirmed_the_link_mailed_to_it(
    queue: Queue,
    receiver: Any,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")  # each failure is final
    settings.cache_clear()
    failing: Receiver = receiver(Reply(500))
    created = create(failing.url(), OWNER)
    started = clock.at

    # One mail: the link, and nothing the account chose (the endpoint's URL).
    assert created["owner_email_confirmed"] is False
    path = link_mailed_to(OWNER)
    [confirmation] = sent_emails()
    assert failing.url() not in confirmation.body
    assert created["id"] in confirmation.body

    # Unconfirmed, the owner email is not warned; the log says so, without the address.
    publish(ActivityKind.CLICK)
    queue.run_batches()
    caplog.clear()
    clock.at = started + timedelta(seconds=settings().endpoint_warn_after_seconds)
    run_review()
    assert "the endpoint's owner email is not confirmed: not told" in caplog.messages
    assert all(OWNER not in str(vars(record)) for record in caplog.records)
    assert sent_emails() == [confirmation]

    # Following the link, as a mail scanner does too, changes nothing: the button does.
    before = records()
    status, page = follow(path)
    assert status == 200
    assert f"Warn {OWNER} when webhook endpoint {created['id']} keeps failing?" in page
    assert '<form method="post"><button type="submit">Confirm</button></form>' in page
    assert follow(path)[0] == 200
    assert records() == before
    assert shown(created["id"])["owner_email_confirmed"] is False
    status, page = press_confirm(path)
    assert status == 200
    assert f"{OWNER} will be warned when webhook endpoint {created['id']} keeps failing." in page
    assert shown(created["id"])["owner_email_confirmed"] is True
    # The link works once.
    assert press_confirm(path)[0] == follow(path)[0] == 404

    # Confirmed, it is told when the endpoint is disabled.
    clock.at = started + timedelta(seconds=settings().endpoint_disable_after_seconds)
    run_review()
    disabled = sent_emails()[-1]
    assert disabled.destinations["ToAddresses"] == [OWNER]
    assert disabled.subject == f"Webhook endpoint {created['id']} disabled"


def test_a_changed_owner_email_is_unconfirmed_until_its_own_link_is_followed(receiver: Any) -> None:
    created = create(receiver().url(), OWNER)
    first_link = link_mailed_to(OWNER)
    assert press_confirm(first_link)[0] == 200

    # The same confirmed address again: nothing to confirm, nothing mailed.
    assert change_owner_email(created["id"], OWNER)["owner_email_confirmed"] is True
    assert len(sent_emails()) == 1

    changed = change_owner_email(created["id"], OTHER_OWNER)
    assert (changed["owner_email"], changed["owner_email_confirmed"]) == (OTHER_OWNER, False)
    second_link = link_mailed_to(OTHER_OWNER)
    # A new link for the same unconfirmed address, as when the first expired: either confirms it.
    assert change_owner_email(created["id"], OTHER_OWNER)["owner_email_confirmed"] is False
    third_link = link_mailed_to(OTHER_OWNER)
    assert third_link != second_link
    assert len(sent_emails()) == 3

    # Changed back, the owner email is the first again, and no link of another address confirms it.
    change_owner_email(created["id"], OWNER)
    assert press_confirm(second_link)[0] == 404
    assert follow(third_link)[0] == 404
    assert shown(created["id"])["owner_email_confirmed"] is False
    assert press_confirm(link_mailed_to(OWNER))[0] == 200
    assert shown(created["id"])["owner_email_confirmed"] is True

    # Cleared, there is nothing to confirm or mail.
    cleared = change_owner_email(created["id"], None)
    assert (cleared["owner_email"], cleared["owner_email_confirmed"]) == (None, False)
    assert len(sent_emails()) == 4


def test_a_confirmation_link_expires_after_seven_days_and_is_stored_only_as_its_hash(
    receiver: Any, clock: Clock
) -> None:
    created = create(receiver().url(), OWNER)
    path = link_mailed_to(OWNER)
    token = path.rsplit("/", 1)[1]
    assert token not in str(records())

    clock.advance(days=7)
    assert (follow(path)[0], press_confirm(path)[0]) == (404, 404)
    assert shown(created["id"])["owner_email_confirmed"] is False


def test_nothing_is_saved_when_the_confirmation_mail_cannot_be_sent(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create(receiver().url(), None)
    # SES refuses to send from an address of a domain it has not verified.
    monkeypatch.setenv("SENDER_EMAIL", "no-reply@unverified.example")
    settings.cache_clear()

    refused_creation = admin(
        "POST",
        "/admin/endpoints",
        body={"url": receiver().url(), "activities": ["open"], "owner_email": OWNER},
    )
    refused_change = admin("PATCH", f"/admin/endpoints/{created['id']}", body={"owner_email": OWNER})

    assert (refused_creation[0], refused_change[0]) == (502, 502)
    assert [endpoint.id for endpoint in export_endpoint_records().export_endpoints(12)] == [created["id"]]
    assert shown(created["id"])["owner_email"] is None
    assert sent_emails() == []
