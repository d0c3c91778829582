"""Calling the admin function as API Gateway does, behind the authorizer."""

import base64
import copy
import json
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from tests.support.helpers import FakeLambdaContext, load_event


def admin_event(
    method: str, path: str, account_id: int | None, body: Any = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """A REST API proxy event for the admin route `path`, once the authorizer found the account."""
    event = copy.deepcopy(load_event("inbound_add_subscriber_form.json"))
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "X-Forwarded-Proto": "https",
    }
    event.update(
        resource="/admin/{proxy+}",
        path=path,
        httpMethod=method,
        headers=headers,
        multiValueHeaders={key: [value] for key, value in headers.items()},
        pathParameters={"proxy": path.removeprefix("/admin/")},
        queryStringParameters=query,
        multiValueQueryStringParameters={key: [value] for key, value in query.items()} if query else None,
        body=base64.b64encode(raw).decode() if raw else None,
        isBase64Encoded=bool(raw),
    )
    event["requestContext"].update(resourcePath="/admin/{proxy+}", httpMethod=method, path=f"/dev{path}")
    if account_id is not None:
        event["requestContext"]["authorizer"] = {
            "principalId": str(account_id),
            "account_id": str(account_id),
            "integrationLatency": 12,
        }
    return event


def admin(
    method: str, path: str, account_id: int = 12, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    """Invoke the admin function's handler; its status and JSON body."""
    from functions.admin.app import handler

    response = handler(admin_event(method, path, account_id, body, query), FakeLambdaContext())  # type: ignore[arg-type]
    text = base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response.get("body")
    return response["statusCode"], json.loads(text) if text else None


class AdminWsgi:
    """The admin function as a WSGI application, for HTTP clients that test one (schemathesis): each request
    becomes the API Gateway event the function gets once the authorizer has found the account."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from functions.admin.app import handler

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)) or None
        event = admin_event(environ["REQUEST_METHOD"], environ["PATH_INFO"], self.account_id, body, query)
        if environ.get("CONTENT_TYPE"):
            event["headers"]["Content-Type"] = environ["CONTENT_TYPE"]
            event["multiValueHeaders"]["Content-Type"] = [environ["CONTENT_TYPE"]]
        response = handler(event, FakeLambdaContext())  # type: ignore[arg-type]
        text = response.get("body") or ""
        raw = base64.b64decode(text) if response.get("isBase64Encoded") else text.encode()
        headers = [
            (name, value)
            for name, values in (response.get("multiValueHeaders") or {}).items()
            for value in values
        ]
        start_response(f"{response['statusCode']} {HTTPStatus(response['statusCode']).phrase}", headers)
        return [raw]
