"""Nothing a caller sends makes a 5xx: each input that cannot be run is a 4xx {"error"} naming it; a real
failure of ours is our own 500 with a reference to quote, never API Gateway's body."""

import json
import re
from dataclasses import replace
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from tests.support.admin import admin
from tests.support.helpers import (
    CAMPAIGN_CALL,
    CAMPAIGN_MAPPING,
    call,
    hook_event,
    records,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
)

REFERENCE = re.compile(r"internal error; nothing was changed \(reference [0-9a-f-]{36}\)")


@pytest.fixture
def platform(stack: Stack) -> Stack:
    seed_account(12)
    seed_list(12, 2222)
    seed_template(12, 31)
    return stack


@pytest.mark.parametrize(
    ("content_type", "body", "operation", "status", "error"),
    [
        pytest.param(
            "application/json; charset=undefined",
            json.dumps({"email": "ana@example.com"}),
            "add_subscriber",
            415,
            "the charset 'undefined' is not supported; send utf-8",
            id="charset-undefined",
        ),
        pytest.param(
            "application/json; charset=base64",
            json.dumps({"email": "ana@example.com"}),
            "add_subscriber",
            415,
            "the charset 'base64' is not supported; send utf-8",
            id="charset-of-no-text",
        ),
        pytest.param(
            "application/json",
            json.dumps({**CAMPAIGN_CALL, "lists": "[" * 10_000}),
            "send_campaign",
            400,
            "parameter 'lists': must be a list of integers such as [2222, 2223] or 2222,2223 (received "
            "'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[...)",
            id="lists-nested-ten-thousand-deep",
        ),
        pytest.param(
            "application/json",
            json.dumps({**CAMPAIGN_CALL, "lists": [10**40]}),
            "send_campaign",
            400,
            "parameter 'lists' (item 1): Input should be less than or equal to 9223372036854775807 (received "
            "10000000000000000000000000000000000000000)",
            id="an-id-no-key-can-hold",
        ),
        pytest.param(
            "application/json",
            json.dumps({**CAMPAIGN_CALL, "subject": "Offer\r\nBcc: everyone@example.com"}),
            "send_campaign",
            400,
            "parameter 'subject': must be one line, without line breaks or control characters (received "
            "'Offer\\r\\nBcc: everyone@example.com')",
            id="a-header-injected-in-the-subject",
        ),
    ],
)
def test_a_body_that_cannot_be_run_is_a_4xx_naming_it_and_writes_nothing(
    platform: Stack, content_type: str, body: str, operation: str, status: int, error: str
) -> None:
    mapping = CAMPAIGN_MAPPING if operation == "send_campaign" else {"email": "/email"}
    webhook = seed_webhook(operation, mapping, list_id=2222 if operation == "add_subscriber" else None)
    before = records()

    assert call(hook_event(webhook.token, body, content_type))[:2] == (status, {"error": error})
    assert records() == before


def test_a_token_of_another_shape_than_issued_is_404_without_a_read(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    requests: list[str] = []
    aws().data_table.meta.client.meta.events.register(
        "before-call.dynamodb", lambda model, **_: requests.append(model.name)
    )

    for token in ["a", webhook.token + "x", "%00" * 20, "x" * 5_000, webhook.token[:-1] + "!"]:
        assert call(hook_event(token, "{}"))[:2] == (404, {"error": "no webhook answers at this URL"})

    assert requests == []


def test_a_failure_of_ours_is_our_own_500_with_a_reference_and_is_counted(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    # A new subscriber is written with its activity, in one transaction: which cannot be made.
    boto3.client("dynamodb").delete_table(TableName=settings().activity_table)

    status, body, _ = call(hook_event(webhook.token, json.dumps({"email": "ana@example.com"})))

    assert status == 500
    assert body is not None
    assert REFERENCE.fullmatch(body["error"]), body
    [logged] = inbound_webhook_records().inbound_calls(webhook.id)
    assert (logged.status, logged.error) == (500, body["error"])


def test_a_webhook_unreadable_is_still_our_own_500(platform: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=2222)
    boto3.client("dynamodb").delete_table(TableName=settings().data_table)

    status, body, _ = call(hook_event(webhook.token, json.dumps({"email": "ana@example.com"})))

    assert status == 500
    assert body is not None
    assert REFERENCE.fullmatch(body["error"]), body


def test_a_body_too_large_to_keep_as_a_sample_is_413_in_listening_mode(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {}, list_id=2222, active=False)
    inbound_webhook_records().update_inbound_webhook(replace(webhook, listening=True))
    # A form of 100,000 control characters: each is 3 bytes sent and 6 as JSON text.
    body = "note=" + "%01" * 80_000

    status, answer, _ = call(hook_event(webhook.token, body, "application/x-www-form-urlencoded"))

    assert (status, answer) == (
        413,
        {"error": "the body takes 480012 bytes as a sample payload; a sample may take 307200 bytes"},
    )
    kept = inbound_webhook_records().find_inbound_webhook(webhook.token)
    assert kept is not None
    assert (kept.listening, kept.sample_payload) == (True, None)


def _webhook(**changes: Any) -> tuple[int, Any]:
    created = admin(
        "POST",
        "/admin/inbound-webhooks",
        body={"name": "Form", "operation": "add_subscriber", "list_id": 2222, "active": False},
    )[1]
    return admin("PATCH", f"/admin/inbound-webhooks/{created['id']}", body=changes)


@pytest.mark.parametrize(
    ("request_", "answer"),
    [
        pytest.param(
            lambda: _webhook(name=None),
            (400, {"error": "name: cannot be null; leave out what does not change"}),
            id="null-in-patch",
        ),
        pytest.param(
            lambda: _webhook(name="Form\nBcc"),
            (400, {"error": "name: must be one line, without line breaks or control characters"}),
            id="line-break-in-a-name",
        ),
        pytest.param(
            lambda: _webhook(sample_payload={"note": "é" * 160_000}),
            (
                413,
                {
                    "error": "sample_payload takes 320012 bytes as a sample payload; a sample may take "
                    "307200 bytes"
                },
            ),
            id="oversized-sample",
        ),
        pytest.param(
            lambda: admin("POST", "/admin/lists", body={"name": "L", "fields": [{"name": "double_optin"}]}),
            (400, {"error": "fields: 'double_optin' is a parameter of add_subscriber"}),
            id="field-named-as-a-parameter",
        ),
        pytest.param(
            lambda: admin("GET", f"/admin/lists/{10**40}"),
            (400, {"error": "list_id: Input should be less than or equal to 9223372036854775807"}),
            id="an-id-no-key-can-hold",
        ),
    ],
)
def test_an_admin_request_that_cannot_be_run_is_a_4xx_naming_the_field(
    platform: Stack, request_: Any, answer: tuple[int, Any]
) -> None:
    assert request_() == answer
