"""The account owner's whole story through the admin API, without a support ticket: a list with custom
fields, a sample payload captured from the calling system, a webhook mapped on it, its first call, the
subscriber and the stats; then an export endpoint, a test event to a loopback receiver, and the log."""

import pytest
from standardwebhooks import Webhook

from devstack.template import Stack
from mailhooks.settings import settings
from tests.support.admin import admin
from tests.support.helpers import call, load_event, seed_account
from tests.support.receivers import receivers


@pytest.fixture(autouse=True)
def admin_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    settings.cache_clear()
    seed_account(12)


def test_an_owner_sets_up_an_inbound_webhook_and_an_export_endpoint_alone() -> None:
    status, newsletter = admin(
        "POST",
        "/admin/lists",
        body={
            "name": "Newsletter",
            "fields": [{"name": "name", "type": "text", "required": True}, {"name": "city", "type": "text"}],
        },
    )
    assert status == 201

    status, draft = admin(
        "POST",
        "/admin/inbound-webhooks",
        body={
            "name": "Website form",
            "operation": "add_subscriber",
            "list_id": newsletter["id"],
            "active": False,
        },
    )
    assert (status, draft["active"]) == (201, False)
    assert admin("POST", f"/admin/inbound-webhooks/{draft['id']}/listen")[1]["listening"] is True

    token = draft["url"].rsplit("/", 1)[1]
    form_post = load_event("inbound_add_subscriber_form.json")
    form_post.update(path=f"/hooks/{token}", pathParameters={"token": token})
    assert call(form_post)[0] == 202  # captured, not run

    sample = admin("GET", f"/admin/inbound-webhooks/{draft['id']}")[1]["sample_payload"]
    status, paths = admin("POST", "/admin/payload-paths", body={"payload": sample})
    offered = {node["path"]: node["example"] for node in paths}
    assert offered["/fields[email][value]"] == "ana@example.com"
    assert offered["/fields[name][value]"] == "Test"

    status, webhook = admin(
        "PATCH",
        f"/admin/inbound-webhooks/{draft['id']}",
        body={"mapping": {"email": "/fields[email][value]", "name": "/fields[name][value]"}, "active": True},
    )
    assert (status, webhook["active"]) == (200, True)

    status, answer = call(form_post)[:2]
    assert status == 201
    page = admin("GET", f"/admin/lists/{newsletter['id']}/subscribers")[1]
    [subscriber] = page["subscribers"]
    assert (subscriber["id"], subscriber["email"], subscriber["status"], subscriber["fields"]) == (
        answer["id"],
        "ana@example.com",
        "active",
        {"name": "Test"},
    )  # type: ignore[index]
    stats = admin("GET", f"/admin/inbound-webhooks/{draft['id']}")[1]["stats"]
    assert (stats["success_count"], stats["error_count"]) == (2, 0)  # the capture and the subscription
    assert [
        logged["status"] for logged in admin("GET", f"/admin/inbound-webhooks/{draft['id']}/calls")[1]
    ] == [201, 202]

    with receivers() as start:
        shop = start()
        status, endpoint = admin(
            "POST", "/admin/endpoints", body={"url": shop.url(), "activities": ["subscribe", "unsubscribe"]}
        )
        assert status == 201
        status, tested = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")

        assert (status, tested["status"]) == (200, 200)
        [received] = shop.received
        event = Webhook(endpoint["secret"]).verify(received.body, dict(received.headers))
        assert (event["test"], event["activity_id"]) == (True, 4)
    status, page = admin(
        "GET", f"/admin/endpoints/{endpoint['id']}/deliveries", query={"status": "delivered"}
    )
    assert status == 200
    assert [delivery["webhook_id"] for delivery in page["deliveries"]] == [tested["delivery_id"]]
