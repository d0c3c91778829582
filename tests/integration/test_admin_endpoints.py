"""The export-endpoint routes of the admin API, through the admin function's handler over moto: endpoints
saved and checked, their secrets, test events and retried deliveries POSTed to real receivers on 127.0.0.1,
and the delivery log as the deliver function leaves it."""

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from standardwebhooks import Webhook

from devstack.template import Stack
from functions.delivery.app import handler as deliver
from mailhooks.models import ActivityKind, SendingType
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.outbound.export_endpoints import TEST_CLICK_URL
from mailhooks.outbound.fanout import fan_out
from mailhooks.settings import settings
from mailhooks.store.export_endpoints import export_endpoint_records
from tests.support.admin import admin
from tests.support.health import Clock
from tests.support.helpers import records, seed_account
from tests.support.receivers import Receiver, Reply, VerifyingReceiver
from tests.support.streams import receive_all
from tests.support.triggers import run_queue


@pytest.fixture(autouse=True)
def admin_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The admin function's environment as the template sets it, local receivers allowed and no retries
    on the schedule; account 12 on the free plan, which has export endpoints too, and account 13."""
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", "true")
    monkeypatch.setenv("DELIVERY_RETRY_SCHEDULE", "[]")
    settings.cache_clear()
    seed_account(12, plan="free")
    seed_account(13)
    return stack


def allow_local(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", str(allowed).lower())
    settings.cache_clear()


def create(url: str = "https://hooks.example.com/activity", activities: Any = ("click",)) -> dict[str, Any]:
    status, body = admin("POST", "/admin/endpoints", body={"url": url, "activities": list(activities)})
    assert status == 201, body
    return dict(body)


def headers_of(received: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in received.headers.items()}


def publish(kind: ActivityKind = ActivityKind.CLICK) -> ActivityRecord:
    """An activity of account 12, queued by the real fan-out for each endpoint that ticks its kind."""
    activity = ActivityRecord(
        account_id=12,
        action_id=345,
        type_id=SendingType.CAMPAIGN,
        activity_id=kind,
        email="person@example.com",
        url="https://shop.example/offer",
    )
    assert fan_out([("1", activity)]) is None
    return activity


def delivery_queue() -> list[dict[str, Any]]:
    return receive_all(settings().delivery_queue_url)


def delivery_items() -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(settings().delivery_table)
    return sorted(table.scan(ConsistentRead=True)["Items"], key=lambda item: (item["pk"], item["sk"]))


def deliveries(endpoint_id: str, status: str, **query: str) -> tuple[list[str], str | None]:
    code, page = admin("GET", f"/admin/endpoints/{endpoint_id}/deliveries", query={"status": status, **query})
    assert code == 200, page
    return [found["webhook_id"] for found in page["deliveries"]], page["next_cursor"]


# Saving endpoints


def test_an_endpoint_is_created_listed_read_changed_and_deleted() -> None:
    created = create(activities=["click", 2, "OPEN", "click"])

    assert created["id"].startswith("ep_")
    assert (created["url"], created["activities"], created["active"]) == (
        "https://hooks.example.com/activity",
        ["open", "click"],
        True,
    )
    Webhook(created["secret"])
    saved = export_endpoint_records().get_export_endpoint(12, created["id"])
    assert saved is not None
    assert (saved.secret, saved.activities) == (created["secret"], [ActivityKind.OPEN, ActivityKind.CLICK])
    shown = {key: value for key, value in created.items() if key != "secret"}
    assert admin("GET", "/admin/endpoints") == (200, [shown])
    assert admin("GET", f"/admin/endpoints/{created['id']}") == (200, shown)

    status, changed = admin(
        "PATCH", f"/admin/endpoints/{created['id']}", body={"activities": ["complaint"], "active": False}
    )

    assert status == 200
    assert "secret" not in changed
    assert (changed["url"], changed["activities"], changed["active"]) == (shown["url"], ["complaint"], False)
    assert changed["updated_at"] > created["updated_at"]
    after = export_endpoint_records().get_export_endpoint(12, created["id"])
    assert after is not None
    assert after.secret == created["secret"]
    assert admin("DELETE", f"/admin/endpoints/{created['id']}") == (204, None)
    assert admin("GET", "/admin/endpoints") == (200, [])
    assert admin("DELETE", f"/admin/endpoints/{created['id']}")[0] == 404


def test_what_is_saved_applies_to_the_next_activity() -> None:
    endpoint = create(activities=["click"])
    publish()
    admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body={"activities": ["open"]})
    publish()
    admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body={"activities": ["open", "click"]})
    publish()

    assert len(delivery_queue()) == 2


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1:8443/hooks", "url: 127.0.0.1 is a loopback address"),
        ("https://169.254.169.254/latest/", "url: 169.254.169.254 is a link-local address"),
        ("https://[::ffff:10.0.0.1]/hooks", "url: ::ffff:10.0.0.1 is a private address"),
        ("https://localhost/hooks", "url: localhost is this machine (loopback)"),
        ("http://hooks.example.com/hooks", "url: an export endpoint's URL must start with https://"),
    ],
)
def test_a_refused_url_is_a_400_naming_why(monkeypatch: pytest.MonkeyPatch, url: str, why: str) -> None:
    allow_local(monkeypatch, False)
    endpoint = create()
    before = records()

    created = admin("POST", "/admin/endpoints", body={"url": url, "activities": ["open"]})
    changed = admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body={"url": url})

    for status, body in (created, changed):
        assert status == 400
        assert body["error"].startswith(why)
    assert records() == before


# Where the admin API's requests reach it (tests/support/admin.py), as its inbound webhooks' URLs do.
API_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    "url",
    [
        f"https://{API_HOST}/dev/hooks/{'a' * 43}",
        "https://ABC123DEFG.execute-api.us-east-1.amazonaws.com:443/",
    ],
)
@pytest.mark.parametrize("local", [False, True])
def test_an_endpoint_on_this_apis_own_host_is_a_400(
    monkeypatch: pytest.MonkeyPatch, url: str, local: bool
) -> None:
    allow_local(monkeypatch, local)
    endpoint = create()
    before = records()

    created = admin("POST", "/admin/endpoints", body={"url": url, "activities": ["open"]})
    changed = admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body={"url": url})

    refused = f"url: {API_HOST} is this API's own host: an export endpoint must be elsewhere"
    assert created == changed == (400, {"error": refused})
    assert records() == before


KINDS = "the kinds are send, open, click, subscribe, unsubscribe, complaint"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"activities": []}, "activities: List should have at least 1 item after validation, not 0"),
        ({"activities": ["bounce"]}, f"activities.0: 'bounce' is not a kind of activity; {KINDS}"),
        ({"activities": [7]}, f"activities.0: 7 is not a kind of activity; {KINDS}"),
        ({"activities": [True]}, f"activities.0: True is not a kind of activity; {KINDS}"),
        ({"activities": "click"}, "activities: Input should be a valid list"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"secret": "whsec_AAAA"}, "secret: Extra inputs are not permitted"),
    ],
)
def test_bad_kinds_and_unknown_fields_are_400s(body: dict[str, Any], error: str) -> None:
    endpoint = create()
    before = records()

    created = admin("POST", "/admin/endpoints", body={"url": endpoint["url"], "activities": ["open"], **body})
    changed = admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body=body)

    assert created == (400, {"error": error})
    assert changed == (400, {"error": error})
    assert records() == before


def test_an_endpoint_needs_a_url_and_kinds() -> None:
    assert admin("POST", "/admin/endpoints", body={}) == (
        400,
        {"error": "url: Field required; activities: Field required"},
    )


# Secrets and test events


def test_the_test_event_is_signed_posted_now_and_logged(receiver: Any) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url(), ["unsubscribe", "click"])

    status, answer = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")

    assert status == 200
    assert answer["delivery_id"].startswith("msg_test_")
    assert (answer["status"], answer["error"]) == (200, None)
    assert 0 <= answer["latency_ms"] < 2000
    [received] = hooks.received
    headers = headers_of(received)
    assert headers["webhook-id"] == answer["delivery_id"]
    event = Webhook(endpoint["secret"]).verify(received.body, headers)
    assert {key: value for key, value in event.items() if key != "timestamp"} == {
        "account_id": 12,
        "action_id": 0,
        "type_id": 1,
        "activity_id": 3,
        "email": "test@example.com",
        "url": TEST_CLICK_URL,
        "test": True,
    }
    status, logged = admin("GET", f"/admin/deliveries/{answer['delivery_id']}")
    assert status == 200
    assert (logged["status"], logged["endpoint_id"], logged["payload"]) == (
        "delivered",
        endpoint["id"],
        event,
    )
    assert [(attempt["number"], attempt["status_code"]) for attempt in logged["attempts"]] == [(1, 200)]
    assert deliveries(endpoint["id"], "delivered") == ([answer["delivery_id"]], None)


def test_a_test_event_answers_what_the_receiver_said(receiver: Any) -> None:
    hooks: Receiver = receiver(Reply(503, body=b"down for maintenance"))
    endpoint = create(hooks.url())

    status, answer = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")

    assert (status, answer["status"], answer["error"]) == (200, 503, "HTTP 503: down for maintenance")
    assert deliveries(endpoint["id"], "failed") == ([answer["delivery_id"]], None)


def test_a_test_event_to_a_refused_url_sends_nothing(receiver: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())  # saved while the local stack allowed it
    allow_local(monkeypatch, False)

    status, answer = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")

    assert status == 400
    assert answer["error"].startswith("nothing was sent: an export endpoint's URL must start with https://")
    assert (hooks.received, delivery_items()) == ([], [])


def test_a_rotated_secret_signs_beside_the_new_one_for_24_hours(
    stack: Stack,
    verifying_receiver: VerifyingReceiver,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoint = create(verifying_receiver.url())
    verifying_receiver.secret = endpoint["secret"]  # a receiver not yet told of the rotation

    status, rotated = admin("POST", f"/admin/endpoints/{endpoint['id']}/rotate-secret")

    assert status == 200
    assert rotated["secret"] != endpoint["secret"]
    valid_until = datetime.fromisoformat(rotated["previous_secret_valid_until"])
    assert valid_until == clock.at + timedelta(hours=24)
    shown = admin("GET", f"/admin/endpoints/{endpoint['id']}")[1]
    assert not {"secret", "previous_secret", "previous_secret_expires_at"} & set(shown)
    # Queued before the rotation or after, a delivery made within the 24 hours verifies with either.
    publish()
    clock.at = valid_until - timedelta(seconds=1)
    run_queue(stack, "DeliveryQueue", deliver)
    [received] = verifying_receiver.received
    assert len(headers_of(received)["webhook-signature"].split(" ")) == 2
    Webhook(rotated["secret"]).verify(received.body, headers_of(received))
    assert deliveries(endpoint["id"], "delivered")[0] == [received.header("webhook-id")]

    clock.at = valid_until
    admin("POST", f"/admin/endpoints/{endpoint['id']}/test")

    later = verifying_receiver.received[1]
    assert headers_of(later)["webhook-signature"].count("v1,") == 1
    Webhook(rotated["secret"]).verify(later.body, headers_of(later))
    assert deliveries(endpoint["id"], "failed")[0] == [later.header("webhook-id")]  # the 401 of the old one
    logs = capsys.readouterr().out + caplog.text
    assert endpoint["secret"].removeprefix("whsec_") not in logs
    assert rotated["secret"].removeprefix("whsec_") not in logs


# The delivery log and retries


def test_a_failed_delivery_is_retried_once_the_receiver_recovers(stack: Stack, receiver: Any) -> None:
    hooks: Receiver = receiver(Reply(500, body=b"down"), Reply(200))
    endpoint = create(hooks.url())
    activity = publish()
    webhook_id = f"msg_{activity.id}_{endpoint['id']}"
    run_queue(stack, "DeliveryQueue", deliver)
    assert deliveries(endpoint["id"], "failed") == ([webhook_id], None)

    status, retried = admin("POST", f"/admin/deliveries/{webhook_id}/retry")
    assert (status, retried["status"], retried["webhook_id"]) == (202, "pending", webhook_id)
    assert deliveries(endpoint["id"], "failed") == ([], None)
    run_queue(stack, "DeliveryQueue", deliver)

    assert deliveries(endpoint["id"], "delivered") == ([webhook_id], None)
    assert [headers_of(received)["webhook-id"] for received in hooks.received] == [webhook_id] * 2
    assert hooks.received[1].body == hooks.received[0].body
    logged = admin("GET", f"/admin/deliveries/{webhook_id}")[1]
    assert [(attempt["number"], attempt["status_code"]) for attempt in logged["attempts"]] == [
        (1, 500),
        (2, 200),
    ]


def test_a_delivered_delivery_is_sent_again_on_request(stack: Stack, receiver: Any) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())
    activity = publish()
    webhook_id = f"msg_{activity.id}_{endpoint['id']}"
    run_queue(stack, "DeliveryQueue", deliver)

    assert admin("POST", f"/admin/deliveries/{webhook_id}/retry")[0] == 202
    run_queue(stack, "DeliveryQueue", deliver)

    assert [headers_of(received)["webhook-id"] for received in hooks.received] == [webhook_id] * 2
    Webhook(endpoint["secret"]).verify(hooks.received[1].body, headers_of(hooks.received[1]))
    logged = admin("GET", f"/admin/deliveries/{webhook_id}")[1]
    assert (logged["status"], logged["attempt_count"]) == ("delivered", 2)
    # A copy of the original message, late, is still suppressed.
    assert fan_out([("1", activity)]) is None
    run_queue(stack, "DeliveryQueue", deliver)
    assert len(hooks.received) == 2


def test_a_retry_waits_for_a_pending_delivery_and_needs_its_endpoint(stack: Stack, receiver: Any) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())
    sent = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")[1]["delivery_id"]
    retry = f"/admin/deliveries/{sent}/retry"
    assert admin("POST", retry)[0] == 202

    assert admin("POST", retry) == (
        409,
        {"error": f"delivery {sent} is pending: it is being attempted, or waits for its next try"},
    )
    run_queue(stack, "DeliveryQueue", deliver)
    assert len(hooks.received) == 2
    admin("PATCH", f"/admin/endpoints/{endpoint['id']}", body={"active": False})
    assert admin("POST", retry)[1] == {
        "error": f"delivery {sent} cannot be sent again: its endpoint is switched off"
    }
    admin("DELETE", f"/admin/endpoints/{endpoint['id']}")
    assert admin("POST", retry)[1] == {
        "error": f"delivery {sent} cannot be sent again: its endpoint was deleted"
    }


def test_a_retry_the_queue_refuses_leaves_the_delivery_as_it_was(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())
    sent = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")[1]["delivery_id"]
    before = delivery_items()
    monkeypatch.setenv("DELIVERY_QUEUE_URL", settings().delivery_queue_url + "-gone")
    settings.cache_clear()

    status, answer = admin("POST", f"/admin/deliveries/{sent}/retry")

    assert status == 502
    assert answer["error"].startswith("Amazon SQS failed: ")
    assert delivery_items() == before


def test_the_delivery_log_pages_newest_first(receiver: Any) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())
    sent = [admin("POST", f"/admin/endpoints/{endpoint['id']}/test")[1]["delivery_id"] for _ in range(3)]

    first, cursor = deliveries(endpoint["id"], "delivered", limit="2")
    assert cursor is not None
    second, _ = deliveries(endpoint["id"], "delivered", limit="2", cursor=cursor)

    assert first + second == sent[::-1]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({}, "status: Field required"),
        (
            {"status": "lost"},
            "status: Input should be 'pending', 'delivered', 'failed', 'aborted' or 'dropped'",
        ),
        ({"status": "failed", "limit": "101"}, "limit: Input should be less than or equal to 100"),
        (
            {"status": "failed", "cursor": "bm90IGEgY3Vyc29y"},
            "the cursor is not one a page of deliveries gave",
        ),
    ],
)
def test_a_bad_page_request_is_a_400(query: dict[str, str], error: str) -> None:
    endpoint = create()

    assert admin("GET", f"/admin/endpoints/{endpoint['id']}/deliveries", query=query) == (
        400,
        {"error": error},
    )


# Accounts apart


def every_route(account_id: int, endpoint_id: str, delivery_id: str) -> list[tuple[int, Any]]:
    """The answers of every route that names an endpoint or a delivery, called as the endpoint's owner
    would call it; the routes that name the delivery come last."""
    at = f"/admin/endpoints/{endpoint_id}"
    calls: list[tuple[str, str, Any, dict[str, str] | None]] = [
        ("GET", at, None, None),
        ("PATCH", at, {"active": False}, None),
        ("POST", f"{at}/rotate-secret", None, None),
        ("POST", f"{at}/test", None, None),
        ("GET", f"{at}/deliveries", None, {"status": "delivered"}),
        ("DELETE", at, None, None),
        ("GET", f"/admin/deliveries/{delivery_id}", None, None),
        ("POST", f"/admin/deliveries/{delivery_id}/retry", None, None),
    ]
    return [admin(method, path, account_id, body, query) for method, path, body, query in calls]


def not_found(endpoint_id: str, delivery_id: str) -> list[tuple[int, Any]]:
    return [(404, {"error": f"export endpoint {endpoint_id} was not found"})] * 6 + [
        (404, {"error": f"delivery {delivery_id} was not found"})
    ] * 2


def test_missing_endpoints_and_deliveries_are_not_found() -> None:
    assert every_route(12, "ep_gone", "msg_gone") == not_found("ep_gone", "msg_gone")


def test_another_accounts_endpoints_and_deliveries_are_not_found_and_stay_as_they_are(receiver: Any) -> None:
    hooks: Receiver = receiver()
    endpoint = create(hooks.url())
    sent = admin("POST", f"/admin/endpoints/{endpoint['id']}/test")[1]["delivery_id"]
    before = (records(), delivery_items(), len(hooks.received))

    answers = every_route(13, endpoint["id"], sent)

    assert answers == not_found(endpoint["id"], sent)
    assert admin("GET", "/admin/endpoints", 13) == (200, [])
    assert (records(), delivery_items(), len(hooks.received), delivery_queue()) == (*before, [])


def test_the_routes_are_in_the_openapi_document() -> None:
    status, document = admin("GET", "/admin/openapi.json")

    assert status == 200
    assert {"/admin/endpoints/{endpoint_id}/test", "/admin/deliveries/{delivery_id}/retry"} <= set(
        document["paths"]
    )
    assert json.dumps(document).count(
        '"enum": ["send", "open", "click", "subscribe", "unsubscribe", "complaint"]'
    )


def test_a_change_racing_another_is_refused_rather_than_undoing_it() -> None:
    endpoint = create()
    read_before = export_endpoint_records().get_export_endpoint(12, endpoint["id"])
    assert read_before is not None
    status, rotated = admin("POST", f"/admin/endpoints/{endpoint['id']}/rotate-secret")

    saved = export_endpoint_records().replace_export_endpoint(
        replace(read_before, active=False), read_before.updated_at
    )

    assert status == 200
    assert saved is False
    current = export_endpoint_records().get_export_endpoint(12, endpoint["id"])
    assert (current.secret, current.active) == (rotated["secret"], True)  # type: ignore[union-attr]
