"""Calling the admin function as API Gateway does, behind the authorizer."""

import base64
import copy
import json
from typing import Any

from tests.helpers import FakeLambdaContext, load_event


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
