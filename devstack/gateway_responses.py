"""API Gateway's gateway responses: what a REST API answers itself (no route for a path, an authorizer
that stops a request, a function that failed), as the Api's GatewayResponses customise them, and API
Gateway's defaults otherwise.

A custom response of a type is used first, then the Api's DEFAULT_4XX or DEFAULT_5XX for the type's
status, then API Gateway's default. Of a response's templates, the application/json one answers (the
first other one without it); a template's $context.error variables are filled in.
"""

import json
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

_JSON = "application/json"
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'


def gateway_answer(status: int, body: str, content_type: str, error_type: str, request_id: str) -> Response:
    """An answer API Gateway gives itself, without a function, with its error type."""
    response = Response(body, status=status, content_type=content_type)
    response.headers["x-amzn-RequestId"] = request_id
    response.headers["x-amzn-ErrorType"] = error_type
    return response


@dataclass(frozen=True)
class _Default:
    status: int
    message: str | None
    error_type: str


_DEFAULTS = {
    # 403, not 404, so as not to tell which paths exist.
    "MISSING_AUTHENTICATION_TOKEN": _Default(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    # A Lambda proxy integration whose function failed or answered a malformed result: no type of its own.
    "DEFAULT_5XX": _Default(502, "Internal server error", "InternalServerErrorException"),
    "UNAUTHORIZED": _Default(401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": _Default(403, "User is not authorized to access this resource", "AccessDeniedException"),
    "AUTHORIZER_CONFIGURATION_ERROR": _Default(500, None, "AuthorizerConfigurationException"),
}


@dataclass(frozen=True)
class GatewayResponses:
    # The Api's GatewayResponses property, resolved: type -> {StatusCode, ResponseTemplates, ...}.
    custom: dict[str, Any]

    def answer(self, response_type: str, request_id: str) -> Response:
        default = _DEFAULTS[response_type]
        family = "DEFAULT_4XX" if default.status < 500 else "DEFAULT_5XX"
        custom = self.custom.get(response_type) or self.custom.get(family) or {}
        templates = custom.get("ResponseTemplates") or {_JSON: _DEFAULT_TEMPLATE}
        content_type = _JSON if _JSON in templates else next(iter(templates))
        body = (
            str(templates[content_type])
            .replace("$context.error.messageString", json.dumps(default.message))
            .replace("$context.error.message", default.message or "")
            .replace("$context.error.responseType", response_type)
            .replace("$context.requestId", request_id)
        )
        status = int(custom.get("StatusCode", default.status))
        return gateway_answer(status, body, content_type, default.error_type, request_id)
