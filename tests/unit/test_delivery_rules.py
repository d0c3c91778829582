"""The deliverer's rules that need no receiver and no AWS: signing secrets and signatures the Standard
Webhooks way, the retry schedule, and the SSRF guard's check of a URL (numeric hosts only: no DNS lookup)."""

import base64
import json
import math
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mailhooks.errors import InvalidInput
from mailhooks.outbound.delivery.retries import JITTER, retry_wait
from mailhooks.outbound.delivery.signing import new_secret, signed_headers
from mailhooks.outbound.delivery.ssrf import check_endpoint_url
from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.outbound.queue import MAX_HOLD_SECONDS
from mailhooks.settings import settings


def allow_local(monkeypatch: pytest.MonkeyPatch, allowed: bool) -> None:
    monkeypatch.setenv("ALLOW_LOCAL_ENDPOINTS", str(allowed).lower())
    settings.cache_clear()


def test_new_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret
    Webhook(secret)


def test_signed_headers_verify_with_the_standard_webhooks_library() -> None:
    secret = new_secret()
    message = DeliveryMessage(
        webhook_id="msg_1_ep1", account_id=12, endpoint_id="ep1", activity_id="1", payload={"email": "ü"}
    )
    timestamp = int(time.time())

    headers = signed_headers(message, [secret], timestamp)

    assert headers["Content-Type"] == "application/json"
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("msg_1_ep1", str(timestamp))
    assert Webhook(secret).verify(message.body(), headers) == {"email": "ü"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(message.body(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(json.dumps({"email": "u"}), headers)


def test_headers_signed_with_two_secrets_verify_with_either() -> None:
    current, previous = new_secret(), new_secret()
    message = DeliveryMessage(
        webhook_id="msg_1_ep1", account_id=12, endpoint_id="ep1", activity_id="1", payload={"email": "ü"}
    )

    headers = signed_headers(message, [current, previous], int(time.time()))

    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (current, previous):
        assert Webhook(secret).verify(message.body(), headers) == {"email": "ü"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(message.body(), headers)


# The retry schedule


def test_each_retry_waits_its_scheduled_seconds_within_the_jitter_then_none(
    configured: pytest.MonkeyPatch,
) -> None:
    configured.setenv("DELIVERY_RETRY_SCHEDULE", "[10, 100]")
    settings.cache_clear()

    firsts = {retry_wait(1) for _ in range(200)}
    seconds = {retry_wait(2) for _ in range(200)}

    assert all(
        wait is not None and 10 * (1 - JITTER) <= wait <= math.ceil(10 * (1 + JITTER)) for wait in firsts
    )
    assert all(
        wait is not None and 100 * (1 - JITTER) <= wait <= math.ceil(100 * (1 + JITTER)) for wait in seconds
    )
    assert len(seconds) > 1  # spread out
    assert retry_wait(3) is None


def test_a_retry_after_longer_than_the_schedule_wins_up_to_the_longest_hold(
    configured: pytest.MonkeyPatch,
) -> None:
    configured.setenv("DELIVERY_RETRY_SCHEDULE", "[10]")
    settings.cache_clear()

    assert retry_wait(1, retry_after=30.2) == 31
    assert retry_wait(1, retry_after=10 * 3600 * 24) == MAX_HOLD_SECONDS
    assert retry_wait(2, retry_after=30) is None


# The SSRF guard


NOT_PUBLIC_HTTPS = [
    "http://hooks.example.com/x",
    "ftp://hooks.example.com/x",
    "https:///x",
    "https://hooks.example.com:99999/x",
    "https://localhost/x",
    "https://api.localhost/x",
    "https://127.1/x",
    "https://2130706433/x",
    "https://0.0.0.0/x",
    "https://172.16.0.1/x",
    "https://192.168.1.1/x",
    "https://100.64.0.1/x",
    "https://224.0.0.1/x",
    "https://240.0.0.1/x",
    "https://[::1]/x",
    "https://[::]/x",
    "https://[fe80::1]/x",
    "https://[fc00::1]/x",
    "https://[ff02::1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://[64:ff9b::a00:1]/x",
    "https://[2002:a00:1::]/x",
]
PUBLIC_HTTPS = [
    "https://hooks.example.com/x?token=a",
    "https://hooks.example.com:8443/x",
    "https://93.184.215.14/x",
    "https://[2606:4700:4700::1111]/x",
]


def refused(url: str) -> bool:
    try:
        check_endpoint_url(url)
    except InvalidInput:
        return True
    return False


def test_check_endpoint_url_refuses_all_but_public_https(configured: pytest.MonkeyPatch) -> None:
    allow_local(configured, False)

    assert [url for url in NOT_PUBLIC_HTTPS if not refused(url)] == []
    assert [url for url in PUBLIC_HTTPS if refused(url)] == []


def test_check_endpoint_url_lets_the_local_stack_use_http_and_loopback(
    configured: pytest.MonkeyPatch,
) -> None:
    allow_local(configured, True)
    assert not refused("http://127.0.0.1:8080/hooks")
    assert not refused("http://localhost:8080/hooks")
