"""Every error an inbound call can get: exact status, a message a person can act on, and nothing written."""

import json
from typing import Any

import boto3
import pytest

from devstack.template import Stack
from mailhooks.aws import aws
from mailhooks.models import CustomField, InboundWebhook
from mailhooks.settings import settings
from mailhooks.store.inbound_webhooks import inbound_webhook_records
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
    sent_sms,
)


@pytest.fixture
def platform(stack: Stack) -> Stack:
    """Account 12 (paid): list 2222, with a required custom field, and template 31. Account 13: list 3333."""
    seed_account(12)
    seed_list(12, 2222, fields=[CustomField(name="name", required=True)])
    seed_template(12, 31)
    seed_account(13)
    seed_list(13, 3333)
    return stack


def assert_error(
    webhook: InboundWebhook, event: dict[str, Any], status: int, error: str, stack: Stack
) -> None:
    """The call answers status with that error, writes and sends nothing, counts one error and logs it."""
    before = records()
    answer_status, body, _ = call(event)
    assert (answer_status, body) == (status, {"error": error})
    assert records() == before
    assert (sent_emails(), sent_sms(), campaign_messages(stack)) == ([], {}, [])
    stats = inbound_webhook_records().find_inbound_webhook(webhook.token).stats  # type: ignore[union-attr]
    assert (stats.success_count, stats.error_count) == (0, 1)
    [logged] = inbound_webhook_records().inbound_calls(webhook.id)
    assert (logged.status, logged.error) == (status, error)


def test_an_invalid_value_names_the_parameter_and_why(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "ana.example.com", "name": "Ana"})),
        400,
        "parameter 'email': value is not a valid email address: An email address must have an @-sign. "
        "(received 'ana.example.com')",
        platform,
    )


def test_every_invalid_value_is_named_in_one_error(platform: Stack) -> None:
    webhook = seed_webhook("send_sms", {"body": "/b", "recipient": "/to", "sender": "/from"})
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"b": "", "to": "600000000", "from": "My Shop!"})),
        400,
        "parameter 'body': String should have at least 1 character (received ''); "
        "parameter 'recipient': must be a valid phone number with its international prefix, such as "
        "+34600000000 or 0034600000000 (received '600000000'); parameter 'sender': must be 1 to 11 letters "
        "or digits, with at least one letter (received 'My Shop!')",
        platform,
    )


def test_a_flag_accepts_only_zero_one_true_false(platform: Stack) -> None:
    webhook = seed_webhook(
        "add_subscriber", {"email": "/email", "name": "/name", "double_optin": "/optin"}, list_id=2222
    )
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com", "name": "A", "optin": "yes"})),
        400,
        "parameter 'double_optin': must be 0, 1, true or false (received 'yes')",
        platform,
    )


def test_a_missing_mapped_node_names_the_parameter_and_the_path(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/data/email", "name": "/data/name"}, list_id=2222)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"data": {"name": "Ana"}})),
        400,
        "parameter 'email': path '/data/email' was not found in the received payload",
        platform,
    )


def test_a_required_custom_field_of_the_list_cannot_be_empty(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com", "name": ""})),
        400,
        "parameter 'name': String should have at least 1 character (received '')",
        platform,
    )


def test_a_path_into_a_string_says_where_it_stops(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/contact/email", "name": "/name"}, list_id=2222)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"contact": "ana@example.com", "name": "A"})),
        400,
        "parameter 'email': path '/contact/email' goes into /contact, which is a string, "
        "not an object or array",
        platform,
    )


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (
            '{"email": "a@example.com",}',
            "application/json",
            "the body is not valid JSON: "
            "Expecting property name enclosed in double quotes at line 1 column 27",
        ),
        (b'{"email": "\xff"}', "application/json", "the body is not valid utf-8 (byte 11)"),
        (
            '{"email": "a@example.com", "email": "b@example.com"}',
            "application/json",
            "the JSON body has the key 'email' twice in one object",
        ),
        ("[" * 10_000 + "]" * 10_000, "application/json", "the JSON body is nested too deeply"),
        ('{"email": NaN}', "application/json", "the JSON body contains NaN, which is not valid JSON"),
        (
            "email=%FF",
            "application/x-www-form-urlencoded",
            "the form body is not valid utf-8 once percent-decoded (byte 0)",
        ),
    ],
)
def test_a_body_that_cannot_be_read_is_named(
    platform: Stack, body: str | bytes, content_type: str, error: str
) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert_error(webhook, hook_event(webhook.token, body, content_type), 400, error, platform)


def test_a_number_too_long_to_read_is_a_clear_400(platform: Stack) -> None:
    webhook = seed_webhook(
        "send_email", {"body": "/b", "to_email": "/t", "from_email": "/f", "subject": "/s", "category": "/c"}
    )
    before = records()
    status, body, _ = call(hook_event(webhook.token, '{"c": ' + "9" * 10_000 + "}"))
    assert status == 400
    assert body["error"].startswith("the JSON body has a number that cannot be read")  # type: ignore[index]
    assert records() == before


def test_a_free_plan_account_is_refused(platform: Stack) -> None:
    seed_account(14, plan="free")
    seed_list(14, 4444)
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, account_id=14, list_id=4444)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com"})),
        403,
        "inbound webhooks are a feature of paid plans, and this account is on the free plan",
        platform,
    )


def test_an_inactive_webhook_is_refused(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222, active=False)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com", "name": "A"})),
        403,
        "this webhook is switched off; its owner can switch it on again",
        platform,
    )
    status, body, _ = call(hook_event(webhook.token, method="HEAD"))
    assert (status, body) == (403, None)


def test_unknown_and_deleted_tokens_get_the_same_404_and_no_stats(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert inbound_webhook_records().delete_inbound_webhook(12, webhook.id)
    before = records()
    for token in (webhook.token, "x" * 43):
        for method in ("POST", "HEAD"):
            status, body, _ = call(hook_event(token, json.dumps({"email": "a@example.com"}), method=method))
            assert (status, body) == (
                404,
                {"error": "no webhook answers at this URL"} if method == "POST" else None,
            )
    assert records() == before


@pytest.mark.parametrize(
    ("operation", "mapping", "payload", "error"),
    [
        (
            "delete_subscriber",
            {"email": "/email", "list_id": "/list"},
            {"email": "a@example.com", "list": 9999},
            "list 9999 was not found",
        ),
        (
            "unsubscribe",
            {"email": "/email", "list_id": "/list"},
            {"email": "a@example.com", "list": 3333},
            "list 3333 was not found",
        ),  # account 13's list is not account 12's to touch
        (
            "delete_subscriber",
            {"email": "/email", "list_id": "/list"},
            {"email": "a@example.com", "list": 2222},
            "subscriber a@example.com is not in list 2222",
        ),
        (
            "unsubscribe",
            {"email": "/email", "list_id": "/list"},
            {"email": "a@example.com", "list": 2222},
            "subscriber a@example.com is not in list 2222",
        ),
        (
            "send_campaign",
            CAMPAIGN_MAPPING,
            {**CAMPAIGN_CALL, "template_id": 32},
            "template 32 was not found",
        ),
        (
            "send_campaign",
            CAMPAIGN_MAPPING,
            {**CAMPAIGN_CALL, "lists": "2222,2224"},
            "list 2224 was not found",
        ),
    ],
)
def test_a_missing_list_subscriber_or_template_is_named(
    platform: Stack, operation: str, mapping: dict[str, str], payload: dict[str, Any], error: str
) -> None:
    webhook = seed_webhook(operation, mapping)
    assert_error(webhook, hook_event(webhook.token, json.dumps(payload)), 404, error, platform)


def test_the_list_of_an_add_subscriber_webhook_that_is_gone_is_named(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email"}, list_id=5555)
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com"})),
        404,
        "list 5555 was not found",
        platform,
    )


def test_a_body_over_256_kib_is_refused(platform: Stack) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    body = json.dumps({"email": "a@example.com", "name": "A", "pad": ""})
    body = body[:-2] + "x" * (256 * 1024 + 1 - len(body)) + '"}'
    assert len(body) == 256 * 1024 + 1
    assert_error(
        webhook,
        hook_event(webhook.token, body),
        413,
        "the body is 262145 bytes; the limit is 262144 bytes (256 KiB)",
        platform,
    )


@pytest.mark.parametrize(
    ("content_type", "error"),
    [
        (
            "text/plain",
            "Content-Type 'text/plain' is not supported; "
            "send application/json or application/x-www-form-urlencoded",
        ),
        (
            None,
            "a missing Content-Type is not supported; "
            "send application/json or application/x-www-form-urlencoded",
        ),
        ("application/json; charset=klingon", "the charset 'klingon' is not supported; send utf-8"),
    ],
)
def test_an_unsupported_content_type_is_refused(
    platform: Stack, content_type: str | None, error: str
) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    assert_error(
        webhook,
        hook_event(webhook.token, '{"email": "a@example.com", "name": "A"}', content_type),
        415,
        error,
        platform,
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_get_405_with_allow(platform: Stack, method: str) -> None:
    webhook = seed_webhook("add_subscriber", {"email": "/email", "name": "/name"}, list_id=2222)
    before = records()
    status, body, headers = call(hook_event(webhook.token, method=method))
    assert (status, body) == (405, {"error": f"{method} is not answered here; send POST"})
    assert headers["Allow"] in ("POST, HEAD", ["POST, HEAD"])
    assert records() == before


def test_a_failure_of_ses_is_a_502_and_leaves_no_subscriber(
    platform: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENDER_EMAIL", "no-reply@unverified.example")
    settings.cache_clear()
    webhook = seed_webhook(
        "add_subscriber", {"email": "/email", "name": "/name", "double_optin": "/optin"}, list_id=2222
    )
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"email": "a@example.com", "name": "A", "optin": 1})),
        502,
        "Amazon SES failed: Email address not verified no-reply@unverified.example",
        platform,
    )


def test_a_refused_transactional_email_is_a_502(platform: Stack) -> None:
    webhook = seed_webhook(
        "send_email", {"body": "/b", "to_email": "/t", "from_email": "/f", "subject": "/s"}
    )
    # The domain was verified, then its identity deleted in SES behind the platform's back: SES refuses.
    boto3.client("sesv2").delete_email_identity(EmailIdentity="shop.example")
    assert_error(
        webhook,
        hook_event(
            webhook.token,
            json.dumps({"b": "<p>Hi</p>", "t": "ana@example.com", "f": "shop@shop.example", "s": "Hi"}),
        ),
        502,
        "Amazon SES failed: Email address not verified shop@shop.example",
        platform,
    )


def test_sns_out_of_reach_is_a_502(platform: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9")  # nothing listens on the discard port
    aws.cache_clear()
    webhook = seed_webhook("send_sms", {"body": "/b", "recipient": "/to", "sender": "/from"})
    assert_error(
        webhook,
        hook_event(webhook.token, json.dumps({"b": "Hi", "to": "+34600000000", "from": "Shop"})),
        502,
        'Amazon SNS failed: Could not connect to the endpoint URL: "http://127.0.0.1:9/"',
        platform,
    )


def test_sqs_out_of_reach_is_a_502_and_leaves_no_campaign(
    platform: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9")
    aws.cache_clear()
    webhook = seed_webhook("send_campaign", CAMPAIGN_MAPPING)
    before = records()
    status, body, _ = call(hook_event(webhook.token, json.dumps(CAMPAIGN_CALL)))
    assert (status, body) == (
        502,
        {"error": 'Amazon SQS failed: Could not connect to the endpoint URL: "http://127.0.0.1:9/"'},
    )
    assert records() == before
