"""Properties of every answer, over random calls (hypothesis): whatever the body, content type, charset,
token and mapped values, an inbound webhook and the admin API answer either their documented success or a
4xx {"error": ...}; never a 5xx; and a 4xx writes nothing (no record, activity, email, SMS or campaign).

What a call wrote is every AWS request it made that AWS carried out (moto answered without an error), seen
as botocore sends it: cheaper than reading every table after each example, and it sees a write undone
later too. On a 4xx only the webhook's own bookkeeping may be written (its stats and pace, its call log),
an id counter, and an idempotency record that is deleted again.

2,000 examples in all, in one test per operation and one for the admin routes, so that xdist deals them
out; each run draws the same examples (derandomize), so a failure is the same on every machine.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.client import BaseClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.template import Stack
from mailhooks.inbound.operations import NAMES, operation_named
from mailhooks.models import AccountLimits, CustomField
from mailhooks.settings import settings as mailhooks_settings
from tests.support.admin import admin
from tests.support.helpers import (
    SENDER_IDS,
    call,
    hook_event,
    seed_account,
    seed_list,
    seed_template,
    seed_webhook,
)

EXAMPLES_PER_OPERATION = 300
ADMIN_EXAMPLES = 200
# Values a sender might really map: they reach the operations past their parameters' checks.
PLAUSIBLE = [
    "ana@example.com",
    "shop@shop.example",
    "news@shop13.example",
    "+34600000000",
    "34600000000",
    "+33612345678",
    "600000000",
    SENDER_IDS[0],
    "PayPal",
    "2222",
    "[2222, 2223]",
    "2222,9999",
    "31",
    "1",
    "0",
    "true",
    "<p>Hi</p>",
    "Subject\r\nBcc: x@example.com",
    "[" * 3000,
    10**40,
    -1,
    1e308,
    "",
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(PLAUSIBLE),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "application/json; charset=undefined",
        "application/json; charset=rot13",
        "application/vnd.api+json",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        "text/plain",
        "multipart/form-data; boundary=x",
    ]
) | st.text(max_size=40)


def _parameters(operation: str) -> list[str]:
    names = list(operation_named(operation).parameters.named())
    return names + (["name", "score"] if operation == "add_subscriber" else [])


# Per parameter, values a sender means (some allowed, some not): most calls get past the parameters'
# checks to the operation's own, and to its writes.
MEANT: dict[str, list[Any]] = {
    "email": ["ana@example.com", "ben@example.com"],
    "to_email": ["ana@example.com"],
    "bcc_email": ["audit@example.com"],
    "from_email": ["shop@shop.example", "news@shop13.example", "security@example.com"],
    "recipient": ["+34600000000", "34600000000", 34600000001, "+33612345678", "600000000"],
    "sender": [SENDER_IDS[0], SENDER_IDS[1], "PayPal"],
    "body": ["<p>Your order shipped</p>", "Hi"],
    "subject": ["Order 1001", "Order\r\nBcc: all@example.com"],
    "name": ["Ana", "Black Friday"],
    "from_name": ["Shop Example"],
    "lists": [[2222], "2222,2223", "[2222]", "9999", "[" * 3000],
    "list_id": [2222, "2222", 9999],
    "template_id": [31, "31", 99, 10**40],
    "category": [7, "7", 10**40],
    "score": [1.5, "7", "many", 1e400],
    "double_optin": [0, 1, "true"],
    "welcome_email": [0, 1],
    "update_subscriber": [0, "1"],
}


@st.composite
def inbound_calls(draw: st.DrawFn, operation: str) -> tuple[str, bytes, str | None]:
    """A call's token ("real" for the webhook's own), body and Content-Type: mostly what a sender means,
    with any value anywhere."""
    values = {
        name: draw(st.sampled_from(MEANT[name]) if draw(st.integers(0, 3)) else JSON_VALUES)
        for name in _parameters(operation)
        if draw(st.integers(0, 9))
    }
    kind = draw(st.sampled_from(["json", "json", "form", "bytes"]))
    if kind == "json":
        body = json.dumps({"p": values}).encode()
    elif kind == "form":
        body = urlencode({f"p[{name}]": str(value) for name, value in values.items()}).encode()
    else:
        body = draw(st.binary(max_size=200))
    content_type = {"json": "application/json", "form": "application/x-www-form-urlencoded"}.get(kind)
    token = "real" if draw(st.integers(0, 9)) else draw(st.text(max_size=60))
    return token, body, content_type if content_type and draw(st.integers(0, 3)) else draw(CONTENT_TYPES)


@pytest.fixture
def platform(stack: Stack) -> Stack:
    """Account 12 with a pace no example reaches (the pace is tested on its own), and account 13."""
    seed_account(12, limits=AccountLimits(sms_sender_ids=SENDER_IDS, webhook_calls_per_second=10_000))
    seed_account(13)
    seed_list(12, 2222, fields=[CustomField(name="name"), CustomField(name="score", type="number")])
    seed_list(12, 2223)
    seed_template(12, 31)
    return stack


READS = {"GetItem", "BatchGetItem", "Query", "Scan", "GetEmailIdentity", "ListEmailIdentities"}


@contextmanager
def carried_out() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The requests other than reads that AWS carried out meanwhile, as (operation, parameters)."""
    done: list[tuple[str, dict[str, Any]]] = []
    make_api_call = BaseClient._make_api_call

    def observed(client: BaseClient, operation: str, parameters: dict[str, Any]) -> Any:
        answer = make_api_call(client, operation, parameters)
        # A delete of what was not there (its old item asked for, and none came back) changed nothing.
        nothing_deleted = operation == "DeleteItem" and parameters.get("ReturnValues") == "ALL_OLD"
        if operation not in READS and not (nothing_deleted and not answer.get("Attributes")):
            done.append((operation, parameters))
        return answer

    BaseClient._make_api_call = observed  # type: ignore[method-assign]
    try:
        yield done
    finally:
        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]


def _key(parameters: dict[str, Any]) -> str:
    key = parameters.get("Key") or parameters.get("Item") or {}
    return str(key.get("pk", key.get("id", "")))


def beyond_bookkeeping(writes: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The writes of an inbound call that are more than its bookkeeping."""
    idempotency = mailhooks_settings().idempotency_table
    records = [
        (operation, _key(parameters))
        for operation, parameters in writes
        if parameters.get("TableName") == idempotency
    ]
    opened = sorted(key for operation, key in records if operation == "PutItem")
    closed = sorted(key for operation, key in records if operation == "DeleteItem")
    kept = []
    for operation, parameters in writes:
        key = _key(parameters)
        if operation == "UpdateItem" and (key.startswith("INBOUND#") or key == "COUNTER"):
            continue
        if operation == "PutItem" and key.startswith("CALLS#"):
            continue
        if parameters.get("TableName") == idempotency and opened == closed:
            continue
        kept.append((operation, parameters))
    return kept


def check(status: int, body: Any, written: list[tuple[str, dict[str, Any]]]) -> None:
    """A documented success, or a 4xx {"error"} that wrote nothing."""
    assert status < 500, body
    if status >= 400:
        assert isinstance(body, dict), body
        assert set(body) == {"error"}, body
        assert isinstance(body["error"], str), body
        assert written == [], body
    else:
        assert body is None or "error" not in body, body


@pytest.mark.parametrize("operation", NAMES)
def test_no_call_gets_a_5xx_and_no_4xx_writes_anything(platform: Stack, operation: str) -> None:
    mapping = {name: f"/p/{name}" for name in _parameters(operation)}
    webhook = seed_webhook(operation, mapping, list_id=2222 if operation == "add_subscriber" else None)

    @given(inbound_calls(operation))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answered(drawn: tuple[str, bytes, str | None]) -> None:
        token, body, content_type = drawn
        with carried_out() as writes:
            status, answer, _ = call(
                hook_event(webhook.token if token == "real" else token, body, content_type)
            )
        check(status, answer, beyond_bookkeeping(writes))

    answered()


ADMIN_ROUTES = [
    ("POST", "/admin/inbound-webhooks"),
    ("PATCH", "/admin/inbound-webhooks/{webhook}"),
    ("POST", "/admin/lists"),
    ("POST", "/admin/templates"),
    ("POST", "/admin/sending-domains"),
    ("POST", "/admin/endpoints"),
]
ADMIN_FIELDS = [
    "name",
    "operation",
    "sample_payload",
    "mapping",
    "list_id",
    "active",
    "calls_per_second",
    "burst",
    "fields",
    "html",
    "domain",
    "url",
    "activities",
    "owner_email",
]


def test_no_admin_request_gets_a_5xx_and_no_4xx_writes_anything(platform: Stack) -> None:
    webhook = seed_webhook("send_sms", {"body": "/b", "recipient": "/r", "sender": "/s"})
    routes = st.sampled_from(ADMIN_ROUTES)
    bodies = st.dictionaries(st.sampled_from(ADMIN_FIELDS) | st.text(max_size=12), JSON_VALUES, max_size=5)

    @given(routes, bodies | JSON_VALUES)
    @settings(
        max_examples=ADMIN_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answered(route: tuple[str, str], body: Any) -> None:
        method, path = route
        with carried_out() as writes:
            status, answer = admin(method, path.format(webhook=webhook.id), body=body)
        check(status, answer, writes)

    answered()
