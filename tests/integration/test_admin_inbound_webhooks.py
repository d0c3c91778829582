"""The admin API's operations, lists, templates, payload paths and inbound webhooks, through the admin
function's handler with API Gateway events as they arrive after the authorizer, over moto."""

import json
from typing import Any

import pytest

from devstack.template import Stack
from mailhooks.settings import settings
from mailhooks.store.lists import list_records
from tests.support.admin import admin
from tests.support.helpers import call, hook_event, load_event, records, seed_account

FORM_SAMPLE = "fields%5Bemail%5D%5Bvalue%5D=ana%40example.com&fields%5Bname%5D%5Bvalue%5D=Ana&tag=a&tag=b"
CAMPAIGN_SAMPLE = {
    "data": {
        "name": "Offer",
        "from_name": "Shop",
        "from_email": "news@shop.example",
        "subject": "Offer",
        "lists": "[2222, 2223]",
        "template_id": 31,
    }
}


@pytest.fixture(autouse=True)
def admin_function(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts 12 and 13 on the paid plan, 14 on the free plan; the admin function's environment."""
    for name, value in stack.function_environment("AdminFunction").items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    seed_account(12)
    seed_account(13)
    seed_account(14, plan="free")


def new_list(account_id: int = 12, **fields: str) -> int:
    custom = [{"name": name, "type": kind, "required": False} for name, kind in fields.items()]
    status, created = admin("POST", "/admin/lists", account_id, {"name": "Newsletter", "fields": custom})
    assert status == 201
    return int(created["id"])


def new_webhook(account_id: int = 12, **settings: Any) -> dict[str, Any]:
    status, created = admin("POST", "/admin/inbound-webhooks", account_id, {"name": "Form", **settings})
    assert status == 201, created
    return dict(created)


def subscriber_webhook(list_id: int, **settings: Any) -> dict[str, Any]:
    return new_webhook(
        operation="add_subscriber",
        list_id=list_id,
        sample_payload={"email": "a@example.com"},
        mapping={"email": "/email"},
        **settings,
    )


def token_of(webhook: dict[str, Any]) -> str:
    return str(webhook["url"]).rsplit("/", 1)[1]


def test_operations_describe_each_parameter() -> None:
    status, operations = admin("GET", "/admin/operations")

    assert status == 200
    by_name = {operation["name"]: operation for operation in operations}
    assert list(by_name) == [
        "add_subscriber",
        "delete_subscriber",
        "unsubscribe",
        "send_sms",
        "send_email",
        "send_campaign",
    ]
    lists = next(
        parameter for parameter in by_name["send_campaign"]["parameters"] if parameter["name"] == "lists"
    )
    assert (lists["required"], lists["type"]) == (True, "list of integers")
    optin = next(p for p in by_name["add_subscriber"]["parameters"] if p["name"] == "double_optin")
    assert (optin["required"], optin["type"], optin["default"]) == (False, "boolean", False)
    assert optin["description"]


def test_operations_of_a_list_include_its_custom_fields_among_add_subscribers_parameters() -> None:
    list_id = new_list(city="text", score="number", born="date")

    status, operations = admin("GET", "/admin/operations", query={"list_id": str(list_id)})
    missing = admin("GET", "/admin/operations", query={"list_id": "9999"})
    others = admin("GET", "/admin/operations", 13, query={"list_id": str(list_id)})

    assert status == 200
    by_name = {operation["name"]: operation for operation in operations}
    parameters = {p["name"]: p for p in by_name["add_subscriber"]["parameters"]}
    assert list(parameters) == [
        "email",
        "double_optin",
        "welcome_email",
        "update_subscriber",
        "city",
        "score",
        "born",
    ]
    assert [
        (parameters[name]["type"], parameters[name]["required"]) for name in ("city", "score", "born")
    ] == [
        ("string", False),
        ("number", False),
        ("date", False),
    ]
    assert [p["name"] for p in by_name["send_sms"]["parameters"]] == ["body", "recipient", "sender"]
    assert missing == (404, {"error": "list 9999 was not found"})
    assert others == (404, {"error": f"list {list_id} was not found"})


def test_lists_with_custom_fields_and_their_subscribers_page_by_page() -> None:
    list_id = new_list(name="text", city="text")
    webhook = subscriber_webhook(list_id)
    for n in range(5):
        call(hook_event(token_of(webhook), json.dumps({"email": f"p{n}@example.com"})))

    pages, cursor = [], None
    while True:
        status, page = admin(
            "GET",
            f"/admin/lists/{list_id}/subscribers",
            query={"limit": "2"} | ({"cursor": cursor} if cursor else {}),
        )
        assert status == 200
        pages.append([subscriber["email"] for subscriber in page["subscribers"]])
        if not (cursor := page["next_cursor"]):
            break

    assert [email for page in pages for email in page] == [f"p{n}@example.com" for n in range(5)]
    assert all(len(page) <= 2 for page in pages)
    assert admin("GET", f"/admin/lists/{list_id}")[1]["fields"] == [
        {"name": "name", "type": "text", "required": False},
        {"name": "city", "type": "text", "required": False},
    ]
    assert [found["id"] for found in admin("GET", "/admin/lists")[1]] == [list_id]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"name": "News", "fields": [{"name": "email"}]},
            "fields: 'email' is a parameter of add_subscriber",
        ),
        (
            {"name": "News", "fields": [{"name": "city"}, {"name": "city"}]},
            "fields: 'city' is named twice",
        ),
        ({"name": "", "fields": []}, "name: String should have at least 1 character"),
        ({"name": "News", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
def test_a_list_that_cannot_be_created_is_a_400_naming_why(body: dict[str, Any], error: str) -> None:
    before = records()
    assert admin("POST", "/admin/lists", body=body) == (400, {"error": error})
    assert records() == before


def test_templates_are_created_listed_and_read() -> None:
    status, template = admin("POST", "/admin/templates", body={"name": "Offer", "html": "<p>{{email}}</p>"})

    assert status == 201
    assert admin("GET", f"/admin/templates/{template['id']}") == (200, template)
    assert admin("GET", "/admin/templates") == (200, [template])
    assert admin("GET", "/admin/templates/999") == (404, {"error": "template 999 was not found"})


def test_payload_paths_of_a_json_document_include_arrays_as_whole_nodes() -> None:
    status, nodes = admin(
        "POST", "/admin/payload-paths", body={"payload": {"data": {"a/b": 1, "ids": [2222, 2223]}}}
    )

    assert status == 200
    assert nodes == [
        {"path": "/data/a~1b", "example": 1},
        {"path": "/data/ids", "example": [2222, 2223]},
        {"path": "/data/ids/0", "example": 2222},
        {"path": "/data/ids/1", "example": 2223},
    ]


def test_payload_paths_of_a_form_use_its_literal_keys() -> None:
    status, nodes = admin("POST", "/admin/payload-paths", body={"form": FORM_SAMPLE})

    assert status == 200
    assert nodes == [
        {"path": "/fields[email][value]", "example": "ana@example.com"},
        {"path": "/fields[name][value]", "example": "Ana"},
        {"path": "/tag", "example": ["a", "b"]},
        {"path": "/tag/0", "example": "a"},
        {"path": "/tag/1", "example": "b"},
    ]


@pytest.mark.parametrize("body", [{}, {"payload": {"a": 1}, "form": "a=1"}])
def test_payload_paths_need_exactly_one_sample(body: dict[str, Any]) -> None:
    assert admin("POST", "/admin/payload-paths", body=body) == (
        400,
        {"error": "send either payload (a JSON document) or form (a raw urlencoded body)"},
    )


def test_a_webhook_is_created_with_its_url_and_runs_at_once() -> None:
    list_id = new_list(name="text")
    webhook = new_webhook(
        operation="add_subscriber",
        list_id=list_id,
        sample_payload={"form": FORM_SAMPLE},
        mapping={"email": "/form"},
        active=False,
    )
    assert webhook["url"].startswith("https://abc123defg.execute-api.us-east-1.amazonaws.com/dev/hooks/")
    assert len(token_of(webhook)) >= 43

    seeded = new_webhook(
        operation="send_campaign",
        sample_payload=CAMPAIGN_SAMPLE,
        mapping={name: f"/data/{name}" for name in CAMPAIGN_SAMPLE["data"]},
    )

    assert (seeded["active"], seeded["listening"], seeded["stats"]["success_count"]) == (True, False, 0)
    assert call(hook_event(token_of(seeded), json.dumps(CAMPAIGN_SAMPLE)))[1] == {
        "error": "list 2222 was not found"
    }


def test_saving_lists_every_problem_of_the_mapping_in_one_400() -> None:
    list_id = new_list()
    status, body = admin(
        "POST",
        "/admin/inbound-webhooks",
        body={
            "name": "Form",
            "operation": "add_subscriber",
            "list_id": list_id,
            "sample_payload": {"contact": {"mail": "a@example.com"}, "name": "Ana"},
            "mapping": {"email": "/contact/email", "nickname": "/name", "double_optin": "/name/0"},
        },
    )

    assert status == 400
    assert body["error"] == (
        f"mapping: 'email': path '/contact/email' was not found in the sample payload; "
        f"mapping: 'nickname' is not a parameter of add_subscriber nor a custom field of list {list_id}; "
        "mapping: 'double_optin': path '/name/0' goes into /name, which is a string, not an object or array"
    )


def test_required_list_fields_must_be_mapped_on_an_active_webhook() -> None:
    status, created = admin(
        "POST",
        "/admin/lists",
        body={"name": "Shop", "fields": [{"name": "country", "type": "text", "required": True}]},
    )
    assert status == 201

    answer = admin(
        "POST",
        "/admin/inbound-webhooks",
        body={
            "name": "Form",
            "operation": "add_subscriber",
            "list_id": created["id"],
            "sample_payload": {"email": "a@example.com"},
            "mapping": {"email": "/email"},
        },
    )

    assert answer == (
        400,
        {
            "error": "mapping: 'country' is required; map it to a node of the sample payload, "
            "or save the webhook inactive until it is"
        },
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"operation": "add_subscriber", "mapping": {}},
            "list_id: add_subscriber needs the id of the list it adds to",
        ),
        ({"operation": "add_subscriber", "list_id": 999, "active": False}, "list_id: list 999 was not found"),
        (
            {"operation": "send_sms", "list_id": 999, "active": False},
            "list_id: send_sms uses no list: leave list_id out",
        ),
        (
            {"operation": "send_sms", "mapping": {"body": "/text"}, "active": False},
            "mapping: 'body': paste or capture a sample payload to map it into",
        ),
        (
            {"operation": "send_fax"},
            "operation: must be one of add_subscriber, delete_subscriber, "
            "unsubscribe, send_sms, send_email, send_campaign",
        ),
    ],
)
def test_other_invalid_settings_are_400s_that_write_nothing(body: dict[str, Any], error: str) -> None:
    before = records()
    status, answer = admin("POST", "/admin/inbound-webhooks", body={"name": "Hook", **body})
    assert (status, answer["error"].split("; ")[0]) == (400, error)
    assert records() == before


def test_free_plan_accounts_get_403_on_inbound_webhook_routes_only() -> None:
    free = "inbound webhooks are a feature of paid plans, and this account is on the free plan"
    assert admin("GET", "/admin/inbound-webhooks", 14) == (403, {"error": free})
    assert admin("POST", "/admin/inbound-webhooks", 14, {"name": "x", "operation": "send_sms"}) == (
        403,
        {"error": free},
    )
    assert admin("GET", "/admin/lists", 14) == (200, [])


def test_a_webhook_is_listed_with_its_stats_changed_and_deleted() -> None:
    list_id = new_list()
    webhook = subscriber_webhook(list_id)
    call(hook_event(token_of(webhook), json.dumps({"email": "a@example.com"})))
    call(hook_event(token_of(webhook), json.dumps({"email": "not an email"})))

    [listed] = admin("GET", "/admin/inbound-webhooks")[1]
    status, changed = admin(
        "PATCH", f"/admin/inbound-webhooks/{webhook['id']}", body={"name": "Renamed", "active": False}
    )
    switched_off = call(hook_event(token_of(webhook), json.dumps({"email": "b@example.com"})))
    deleted = admin("DELETE", f"/admin/inbound-webhooks/{webhook['id']}")
    gone = call(hook_event(token_of(webhook), json.dumps({"email": "c@example.com"})))

    assert (listed["stats"]["success_count"], listed["stats"]["error_count"]) == (1, 1)
    assert listed["stats"]["last_call_at"] is not None
    assert (status, changed["name"], changed["active"], changed["stats"]) == (
        200,
        "Renamed",
        False,
        listed["stats"],
    )
    assert switched_off[0] == 403
    assert deleted == (204, None)
    assert gone[0] == 404
    assert admin("GET", f"/admin/inbound-webhooks/{webhook['id']}") == (
        404,
        {"error": f"inbound webhook {webhook['id']} was not found"},
    )


def test_a_change_is_checked_against_the_whole_webhook() -> None:
    webhook = subscriber_webhook(new_list())

    answer = admin(
        "PATCH", f"/admin/inbound-webhooks/{webhook['id']}", body={"sample_payload": {"mail": "x"}}
    )

    assert answer == (400, {"error": "mapping: 'email': path '/email' was not found in the sample payload"})
    assert admin("GET", f"/admin/inbound-webhooks/{webhook['id']}")[1]["sample_payload"] == {
        "email": "a@example.com"
    }


def test_rotating_the_url_stops_the_old_one_at_once() -> None:
    webhook = subscriber_webhook(new_list())
    call(hook_event(token_of(webhook), json.dumps({"email": "a@example.com"})))

    status, rotated = admin("POST", f"/admin/inbound-webhooks/{webhook['id']}/rotate-url")

    assert status == 200
    assert rotated["url"] != webhook["url"]
    assert rotated["stats"]["success_count"] == 1
    assert call(hook_event(token_of(webhook), json.dumps({"email": "b@example.com"})))[0] == 404
    assert call(hook_event(token_of(rotated), json.dumps({"email": "b@example.com"})))[0] == 201


def test_listening_stores_the_next_call_as_the_sample_and_runs_nothing() -> None:
    list_id = new_list(name="text")
    draft = new_webhook(operation="add_subscriber", list_id=list_id, active=False)
    admin("POST", f"/admin/inbound-webhooks/{draft['id']}/listen")
    form = load_event("inbound_add_subscriber_form.json")
    form["path"], form["pathParameters"] = f"/hooks/{token_of(draft)}", {"token": token_of(draft)}

    captured = call(form)
    after = admin("GET", f"/admin/inbound-webhooks/{draft['id']}")[1]
    not_listening = call(form)

    assert captured[0] == 202
    assert list_records().list_subscribers(list_id) == []
    assert after["listening"] is False
    assert after["sample_payload"]["fields[email][value]"] == "ana@example.com"
    assert not_listening[0] == 403  # still inactive: nothing runs until the owner maps and switches it on


def test_calls_show_the_last_fifty_newest_first_with_bodies_cut_to_4_kib() -> None:
    webhook = subscriber_webhook(new_list())
    for n in range(52):
        call(hook_event(token_of(webhook), json.dumps({"email": f"p{n}@example.com"})))
    call(hook_event(token_of(webhook), json.dumps({"email": "x" * 5000})))

    status, calls = admin("GET", f"/admin/inbound-webhooks/{webhook['id']}/calls")

    assert status == 200
    assert len(calls) == 50
    assert (calls[0]["status"], calls[0]["truncated"], len(calls[0]["body"].encode())) == (400, True, 4096)
    assert calls[0]["error"].startswith("parameter 'email': value is not a valid email address")
    assert [json.loads(logged["body"])["email"] for logged in calls[1:]] == [
        f"p{n}@example.com" for n in range(51, 2, -1)
    ]
    assert all(logged["status"] == 201 and logged["error"] is None for logged in calls[1:])


def test_another_accounts_webhook_answers_404_on_every_route_and_changes_nothing() -> None:
    webhook = subscriber_webhook(new_list())
    before = records()
    missing = (404, {"error": f"inbound webhook {webhook['id']} was not found"})
    path = f"/admin/inbound-webhooks/{webhook['id']}"

    answers = [
        admin("GET", path, 13),
        admin("PATCH", path, 13, {"name": "Mine"}),
        admin("DELETE", path, 13),
        admin("POST", f"{path}/rotate-url", 13),
        admin("POST", f"{path}/listen", 13),
        admin("GET", f"{path}/calls", 13),
    ]

    assert answers == [missing] * 6
    assert records() == before
    assert admin("GET", "/admin/inbound-webhooks", 13) == (200, [])
    assert admin("GET", f"/admin/lists/{webhook['list_id']}", 13) == (
        404,
        {"error": f"list {webhook['list_id']} was not found"},
    )


def test_another_accounts_lists_and_templates_answer_404() -> None:
    list_id = new_list()
    template = admin("POST", "/admin/templates", body={"name": "Offer", "html": "<p>Hi</p>"})[1]

    assert admin("GET", f"/admin/lists/{list_id}", 13) == (404, {"error": f"list {list_id} was not found"})
    assert admin("GET", f"/admin/lists/{list_id}/subscribers", 13) == (
        404,
        {"error": f"list {list_id} was not found"},
    )
    assert admin("GET", f"/admin/templates/{template['id']}", 13) == (
        404,
        {"error": f"template {template['id']} was not found"},
    )
    assert admin("GET", "/admin/lists", 13) == (200, [])
    assert admin("GET", "/admin/templates", 13) == (200, [])
