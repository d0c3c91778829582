"""API Gateway's proxy event, read as mailhooks.gateway.GatewayRequest: from the repository's sample events
and from the event's edge cases (a base64 body, a request with no body, headers or path parameters)."""

import base64
from typing import Any

from mailhooks.gateway import GatewayRequest
from tests.support.helpers import load_event


def test_a_sample_event_is_read_with_its_headers_named_in_lower_case() -> None:
    event = load_event("subscriptions_one_click_unsubscribe.json")

    request = GatewayRequest.of(event)

    assert request.method == "POST"
    assert request.resource == "/subscriptions/unsubscribe/{token}"
    assert request.path_parameters == event["pathParameters"]
    assert request.headers["content-type"] == event["headers"]["Content-Type"]
    assert all(name == name.lower() for name in request.headers)
    # The sample's multipart body came base64-encoded, as API Gateway passes a body of a binary media type.
    assert event["isBase64Encoded"] is True
    assert request.body == base64.b64decode(event["body"])
    assert request.body.startswith(b"-----FormBoundary")
    assert (request.domain_name, request.stage) == (
        event["requestContext"]["domainName"],
        event["requestContext"]["stage"],
    )


def test_a_base64_body_is_decoded_to_its_bytes() -> None:
    sent = "ñ=1&x=\x00".encode() + b"\xff"
    body = base64.b64encode(sent).decode()
    event: dict[str, Any] = {"httpMethod": "POST", "body": body, "isBase64Encoded": True}

    assert GatewayRequest.of(event).body == sent


def test_what_the_event_leaves_out_is_empty() -> None:
    event: dict[str, Any] = {"httpMethod": "GET", "body": None, "headers": None, "pathParameters": None}

    request = GatewayRequest.of(event)

    assert (request.body, request.headers, request.path_parameters) == (b"", {}, {})
    assert (request.resource, request.domain_name, request.stage) == ("", None, None)
