"""API Gateway's REST (v1) Lambda proxy integration: an HTTP request as the event, the result as the answer.

The event has the shape of events/inbound_add_subscriber_form.json, the one production delivers. The local
front plays a custom domain mapped to the stage: the stage is not part of the URL, and the request's Host
is the domain, so links a function builds from the request lead back to the front.
"""

import base64
import secrets
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from devstack.routes import Match
from devstack.template import ACCOUNT_ID

# Headers the front's server sets itself; a function's values for them would be wrong or duplicated.
_SERVER_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}


class MalformedResult(Exception):
    """A function answered something API Gateway cannot turn into a response (it answers 502)."""


def _trace_id(now: datetime) -> str:
    return f"Root=1-{int(now.timestamp()):08x}-{secrets.token_hex(12)}"


def _headers(request: Request, now: datetime) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    client = request.remote_addr or "127.0.0.1"
    forwarded = request.headers.get("X-Forwarded-For")
    headers.update(
        {
            "X-Amzn-Trace-Id": [request.headers.get("X-Amzn-Trace-Id") or _trace_id(now)],
            "X-Forwarded-For": [f"{forwarded}, {client}" if forwarded else client],
            "X-Forwarded-Port": [str(request.environ.get("SERVER_PORT", ""))],
            "X-Forwarded-Proto": ["http"],
        }
    )
    return headers


def _query(request: Request) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not request.args:
        return None, None
    multi = {name: request.args.getlist(name) for name in request.args}
    return {name: values[-1] for name, values in multi.items()}, multi


def proxy_event(request: Request, match: Match, request_id: str) -> dict[str, Any]:
    """The event API Gateway gives the route's function for this request."""
    route = match.route
    now = datetime.now(UTC)
    headers = _headers(request, now)
    query, multi_query = _query(request)
    raw = request.get_data(cache=False)
    binary = route.api.is_binary(request.content_type)
    body = (base64.b64encode(raw).decode() if binary else raw.decode("utf-8", "replace")) if raw else None
    user_agent = request.headers.get("User-Agent")
    domain = request.host
    return {
        "resource": route.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": route.api.api_id[:6],
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(secrets.token_bytes(10)).decode(),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": request.path,
            "accountId": ACCOUNT_ID,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": route.api.stage,
            "domainPrefix": domain.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "sourceIp": request.remote_addr,
                "userAgent": user_agent,
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "user": None,
            },
            "domainName": domain,
            "apiId": route.api.api_id,
        },
        "body": body,
        "isBase64Encoded": bool(raw) and binary,
    }


def _response_headers(result: dict[str, Any]) -> Headers:
    headers = Headers()
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, dict) or not isinstance(single, dict):
        raise MalformedResult("headers and multiValueHeaders must be objects")
    # As API Gateway merges them: a name given in multiValueHeaders takes only its values from there.
    named = {name.lower() for name in multi}
    pairs = [(name, value) for name, values in multi.items() for value in (values or [])]
    pairs += [(name, value) for name, value in single.items() if name.lower() not in named]
    for name, value in pairs:
        if str(name).lower() not in _SERVER_HEADERS:
            headers.add(str(name), str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return headers


def http_response(result: Any, request_id: str) -> Response:
    """The HTTP answer to a function's proxy result, or MalformedResult as API Gateway would judge it."""
    if not isinstance(result, dict):
        raise MalformedResult(f"the result is {type(result).__name__}, not an object")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResult(f"statusCode {status!r} is not an HTTP status")
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResult("body must be a string")
    try:
        data = base64.b64decode(body or "", validate=True) if result.get("isBase64Encoded") else (body or "")
    except ValueError as error:
        raise MalformedResult(f"isBase64Encoded is true but the body is not base64: {error}") from None
    response = Response(data, status=status, headers=_response_headers(result))
    response.headers["x-amzn-RequestId"] = request_id
    return response
