"""Hostile calls to inbound webhooks, through the inbound function's handler with API Gateway events.

- Hostile bodies: each answers a 4xx with an error that says what is wrong, never a 5xx, and writes
  nothing: no record, no activity, no idempotency record, no mail, SMS or campaign; only the webhook's own
  bookkeeping counts it, as every answered call is counted (one error in its stats, one entry in its call
  log).
- Token guessing: 10,000 random tokens, and near misses of a real one, all answer 404 and leave no trace in
  any table.
"""

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.models import CustomField, InboundWebhook
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records
from tests.support.helpers import (
    FakeLambdaContext,
    call,
    campaign_messages,
    hook_event,
    records,
    seed_account,
    seed_list,
    seed_webhook,
    sent_emails,
    sent_sms,
)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
# Email and two custom fields of list 2222: a text and a number.
MAPPING = {"email": "/email", "name": "/name", "score": "/score", "double_optin": "/optin"}
LIMIT = 256 * 1024
TOO_LONG_INTEGER = (
    "the JSON body has a number that cannot be read: Exceeds the limit (4300 digits) for integer string "
    "conversion: value has 10000 digits; use sys.set_int_max_str_digits() to increase the limit"
)


def scan(table: str) -> list[dict[str, Any]]:
    """Every item of a table, as it is stored."""
    dynamodb = boto3.client("dynamodb")
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**request)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=json.dumps)
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture
def platform(stack: Stack) -> Stack:
    """Account 12 (paid) and its list 2222, with a text and a number custom field."""
    seed_account(12)
    seed_list(12, 2222, fields=[CustomField(name="name"), CustomField(name="score", type="number")])
    return stack


def nested(depth: int, inner: str = "1") -> str:
    return '{"a": ' * depth + inner + "}" * depth


def padded_to(size: int) -> str:
    """A JSON body of exactly `size` bytes, valid but for its size."""
    body = json.dumps({"email": "a@example.com", "pad": ""})
    return body[:-2] + "x" * (size - len(body)) + '"}'


def form_of(size: int) -> str:
    """A form body of exactly `size` bytes: an address, and many small fields."""
    body = "email=a%40example.com"
    fields = "".join(f"&f{n}=1" for n in range(size // 6))
    return (body + fields)[:size]


def exact(error: str) -> Callable[[str], bool]:
    return lambda said: said == error


def starting(prefix: str) -> Callable[[str], bool]:
    return lambda said: said.startswith(prefix)


HOSTILE = [
    pytest.param(
        b'{"email": "\xff"}', JSON, None, 400, exact("the body is not valid utf-8 (byte 11)"), id="utf8-json"
    ),
    pytest.param(
        b"email=\xff", FORM, None, 400, exact("the body is not valid utf-8 (byte 6)"), id="utf8-form"
    ),
    pytest.param(
        b'{"email": "\xed\xa0\x80@example.com"}',
        JSON,
        None,
        400,
        exact("the body is not valid utf-8 (byte 11)"),
        id="utf8-encoded-surrogate",
    ),
    pytest.param(
        "email=%FF%FE",
        FORM,
        None,
        400,
        exact("the form body is not valid utf-8 once percent-decoded (byte 0)"),
        id="utf8-percent-encoded",
    ),
    pytest.param(
        "[" * 10_000 + "]" * 10_000,
        JSON,
        None,
        400,
        exact("the JSON body is nested too deeply"),
        id="arrays-10000-deep",
    ),
    pytest.param(
        nested(10_000), JSON, None, 400, exact("the JSON body is nested too deeply"), id="objects-10000-deep"
    ),
    pytest.param(
        '{"email": "a@example.com", "name": ' + "[" * 10_000 + "]" * 10_000 + "}",
        JSON,
        None,
        400,
        exact("the JSON body is nested too deeply"),
        id="10000-deep-under-a-mapped-key",
    ),
    pytest.param(
        '{"email": "a@example.com", "email": "b@example.com"}',
        JSON,
        None,
        400,
        exact("the JSON body has the key 'email' twice in one object"),
        id="duplicate-keys",
    ),
    pytest.param(
        '{"email": "a@example.com", "items": [{"sku": 1, "sku": 2}]}',
        JSON,
        None,
        400,
        exact("the JSON body has the key 'sku' twice in one object"),
        id="duplicate-keys-deep-inside",
    ),
    pytest.param(
        padded_to(LIMIT + 1),
        JSON,
        None,
        413,
        exact("the body is 262145 bytes; the limit is 262144 bytes (256 KiB)"),
        id="256-KiB-plus-1",
    ),
    pytest.param(
        form_of(2 * 1024 * 1024),
        FORM,
        None,
        413,
        exact("the body is 2097152 bytes; the limit is 262144 bytes (256 KiB)"),
        id="2-MB-form",
    ),
    pytest.param(
        "null",
        JSON,
        None,
        400,
        exact("parameter 'email': path '/email' goes into the root, which is null, not an object or array"),
        id="null",
    ),
    pytest.param(
        '{"email": "a@example.com", "score": ' + "9" * 10_000 + "}",
        JSON,
        None,
        400,
        exact(TOO_LONG_INTEGER),
        id="integer-of-10000-digits",
    ),
    pytest.param(
        '{"email": "a@example.com", "score": -' + "9" * 10_000 + "}",
        JSON,
        None,
        400,
        exact(TOO_LONG_INTEGER),
        id="negative-integer-of-10000-digits",
    ),
    pytest.param(
        '{"email": "a@example.com", "score": 1' + "0" * 9_999 + ".0}",
        JSON,
        None,
        400,
        starting("parameter 'score': "),
        id="float-of-10000-digits",
    ),
    pytest.param(
        "email=a%40example.com&score=" + "9" * 10_000,
        FORM,
        None,
        400,
        starting("parameter 'score': "),
        id="form-number-of-10000-digits",
    ),
    pytest.param(
        '{"email": "a@example.com", "score": 1e400}',
        JSON,
        None,
        400,
        starting("parameter 'score': "),
        id="number-beyond-float",
    ),
    pytest.param(
        '{"contact": "ana@example.com", "name": "Ana"}',
        JSON,
        {"email": "/contact/email", "name": "/name"},
        400,
        exact(
            "parameter 'email': path '/contact/email' goes into /contact, which is a string, "
            "not an object or array"
        ),
        id="path-into-a-string",
    ),
    pytest.param(
        '{"email": "a@example.com", "name": "\\ud800"}',
        JSON,
        None,
        400,
        exact(
            "parameter 'name': Input should be a valid string, unable to parse raw data as a unicode string "
            "(received '\\ud800')"
        ),
        id="lone-surrogate-escape",
    ),
    pytest.param(
        '{"email": "a@example.com", "optin": Infinity}',
        JSON,
        None,
        400,
        exact("the JSON body contains Infinity, which is not valid JSON"),
        id="infinity",
    ),
    pytest.param(
        b'\xef\xbb\xbf{"email": "a@example.com"}',
        JSON,
        None,
        400,
        exact("the body is not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1"),
        id="byte-order-mark",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "mapping", "status", "error"), HOSTILE)
def test_a_hostile_body_gets_a_clear_4xx_and_writes_nothing(
    platform: Stack,
    body: str | bytes,
    content_type: str,
    mapping: dict[str, str] | None,
    status: int,
    error: Callable[[str], bool],
) -> None:
    webhook = seed_webhook("add_subscriber", mapping or MAPPING, list_id=2222)
    before = records()

    answered, answer, _ = call(hook_event(webhook.token, body, content_type))

    assert answered == status
    assert answer is not None
    assert set(answer) == {"error"}
    assert error(answer["error"]), answer["error"]
    assert records() == before
    for table in (settings().activity_table, settings().idempotency_table):
        assert scan(table) == []
    assert (sent_emails(), sent_sms(), campaign_messages(platform)) == ([], {}, [])
    counted = inbound_webhook_records().find_inbound_webhook(webhook.token)
    assert counted is not None
    assert (counted.stats.success_count, counted.stats.error_count) == (0, 1)
    [logged] = inbound_webhook_records().inbound_calls(webhook.id)
    assert (logged.status, logged.error) == (status, answer["error"])


# Token guessing


def near_misses(token: str) -> list[str]:
    """Tokens one slip away from a real one."""
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [flipped, token[:-1], token + "A", token.upper(), token.lower(), token[1:] + token[0]]


def guessed(event: dict[str, Any], token: str, method: str) -> dict[str, Any]:
    """The event of a call to another token: the same request, another path."""
    return {
        **event,
        "httpMethod": method,
        "path": f"/hooks/{token}",
        "pathParameters": {"token": token},
        "requestContext": {**event["requestContext"], "httpMethod": method, "path": f"/dev/hooks/{token}"},
    }


def test_ten_thousand_guessed_tokens_get_404_and_leave_no_trace(platform: Stack) -> None:
    from functions.inbound.app import handler

    real = seed_webhook("add_subscriber", MAPPING, list_id=2222)
    tables = [
        settings().data_table,
        settings().activity_table,
        settings().idempotency_table,
        settings().delivery_table,
    ]
    before = {table: scan(table) for table in tables}
    body = json.dumps({"email": "a@example.com", "name": "Ana", "score": 1})
    event = hook_event("placeholder", body)
    assert base64.b64decode(event["body"]) == body.encode()
    tokens = [secrets.token_urlsafe(32) for _ in range(10_000)]
    assert len(set(tokens)) == 10_000
    assert real.token not in tokens

    answers: list[tuple[int, str]] = []
    for n, token in enumerate([*tokens, *near_misses(real.token)]):
        method = "HEAD" if n % 10 == 9 else "POST"
        response = handler(guessed(event, token, method), FakeLambdaContext())
        answers.append((response["statusCode"], response["body"] if method == "POST" else ""))

    assert set(answers) == {(404, json.dumps({"error": "no webhook answers at this URL"})), (404, "")}
    assert len(answers) == 10_000 + len(near_misses(real.token))
    assert {table: scan(table) for table in tables} == before
    unchanged = inbound_webhook_records().find_inbound_webhook(real.token)
    assert unchanged is not None
    assert (unchanged.stats.success_count, unchanged.stats.error_count, unchanged.stats.last_call_at) == (
        0,
        0,
        None,
    )
    assert inbound_webhook_records().inbound_calls(real.id) == []
    # The real token still answers: the guesses locked nothing out.
    assert call(hook_event(real.token, body))[0] == 201


def test_a_guessed_token_is_answered_exactly_as_a_deleted_one(platform: Stack) -> None:
    deleted: InboundWebhook = seed_webhook("add_subscriber", MAPPING, list_id=2222)
    assert inbound_webhook_records().delete_inbound_webhook(12, deleted.id)
    body = json.dumps({"email": "a@example.com"})

    answers = [call(hook_event(token, body)) for token in (deleted.token, secrets.token_urlsafe(32))]

    assert answers[0][:2] == answers[1][:2] == (404, {"error": "no webhook answers at this URL"})
    assert answers[0][2] == answers[1][2]
