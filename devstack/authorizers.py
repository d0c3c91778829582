"""A REST API's REQUEST Lambda authorizers, applied as API Gateway applies them, between a request's proxy
event and its function.

- With caching on (ReauthorizeEvery > 0), a request missing one of the identity sources gets the
  UNAUTHORIZED gateway response, and the authorizer is not invoked.
- The authorizer gets the REQUEST authorizer event of the request. An error whose message is
  "Unauthorized" answers UNAUTHORIZED (401); another error, or an answer that is not a policy, answers
  AUTHORIZER_CONFIGURATION_ERROR (500).
- The policy is evaluated against the request's method ARN: an Allow statement of execute-api:Invoke
  whose resource (with * and ? wildcards) matches it is needed, and a matching Deny wins; otherwise
  ACCESS_DENIED (403). The answer is cached for the identity for ReauthorizeEvery seconds, and evaluated
  against each request's ARN: a cached policy must cover every route it may be used for.
- The function's event gets requestContext.authorizer: the principalId, and each value of the context as
  a string, as API Gateway passes them.
"""

import json
import re
import sys
import threading
import time
import traceback
from functools import cache
from typing import Any

from werkzeug.wrappers import Response

from devstack.functions import Functions
from devstack.routes import LambdaAuthorizer, Route
from devstack.template import ACCOUNT_ID, REGION

UNAUTHORIZED = "Unauthorized"
INVOKE = "execute-api:Invoke"


class _Misconfigured(Exception):
    """The authorizer's answer is not one API Gateway can use."""


def method_arn(route: Route, method: str, path: str) -> str:
    return (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{route.api.api_id}/{route.api.stage}/{method}/{path[1:]}"
    )


def authorizer_event(proxy_event: dict[str, Any], arn: str) -> dict[str, Any]:
    """The event of a REQUEST authorizer: the request as its proxy event has it, without the body."""
    fields = (
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
    )
    return {"type": "REQUEST", "methodArn": arn, **{name: proxy_event[name] for name in fields}}


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(regex, re.IGNORECASE if ignore_case else 0)


def _names(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    return any(
        isinstance(pattern, str) and _wildcard(pattern, ignore_case).fullmatch(value) for pattern in listed
    )


def allows(policy: dict[str, Any], arn: str) -> bool:
    """Whether the policy lets the caller invoke the method ARN: an Allow applies and no Deny does."""
    statements = policy.get("Statement", [])
    effects = {
        statement.get("Effect")
        for statement in (statements if isinstance(statements, list) else [statements])
        if isinstance(statement, dict)
        and _names(statement.get("Action"), INVOKE, ignore_case=True)
        and _names(statement.get("Resource"), arn)
    }
    return "Allow" in effects and "Deny" not in effects


def _context_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    raise _Misconfigured(f"context values must be strings, numbers or booleans, not {json.dumps(value)}")


def _checked(answer: Any) -> dict[str, Any]:
    """The authorizer's answer, once it is a policy API Gateway can use."""
    if not isinstance(answer, dict) or "principalId" not in answer:
        raise _Misconfigured("the answer has no principalId")
    if not isinstance(answer.get("policyDocument"), dict):
        raise _Misconfigured("the answer has no policyDocument")
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        raise _Misconfigured("the context must be an object")
    return {**answer, "context": {name: _context_value(value) for name, value in context.items()}}


def _identity(authorizer: LambdaAuthorizer, event: dict[str, Any]) -> tuple[str, ...] | None:
    """The request's identity sources, or None when one is missing."""
    headers = {name.lower(): value for name, value in (event["headers"] or {}).items()}
    query = event["queryStringParameters"] or {}
    values = [headers.get(name.lower()) for name in authorizer.headers]
    values += [query.get(name) for name in authorizer.query_strings]
    return tuple(values) if all(values) else None  # type: ignore[arg-type]


class Authorization:
    def __init__(self, functions: Functions) -> None:
        self.functions = functions
        # (authorizer, identity) -> (monotonic expiry, checked answer)
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _answer(
        self, authorizer: LambdaAuthorizer, identity: tuple[str, ...], event: dict[str, Any]
    ) -> dict[str, Any]:
        key = (authorizer.name, identity)
        with self._lock:
            expiry, cached = self._cache.get(key, (0.0, {}))
        if time.monotonic() < expiry:
            return cached
        answer = _checked(self.functions.invoke(authorizer.function, event))
        if authorizer.ttl:
            with self._lock:
                self._cache[key] = (time.monotonic() + authorizer.ttl, answer)
        return answer

    def check(self, route: Route, event: dict[str, Any]) -> Response | dict[str, Any]:
        """The gateway response that stops the request, or the requestContext.authorizer of its event."""
        authorizer = route.authorizer
        assert authorizer is not None
        responses, request_id = route.api.responses, event["requestContext"]["requestId"]
        identity = _identity(authorizer, event)
        if identity is None and authorizer.ttl:
            return responses.answer("UNAUTHORIZED", request_id)
        arn = method_arn(route, event["httpMethod"], event["path"])
        started = time.monotonic()
        try:
            answer = self._answer(authorizer, identity or (), authorizer_event(event, arn))
        except _Misconfigured as error:
            print(
                f"{authorizer.function} answered as authorizer {authorizer.name} wrongly: {error}",
                file=sys.stderr,
            )
            return responses.answer("AUTHORIZER_CONFIGURATION_ERROR", request_id)
        except Exception as error:
            if str(error) == UNAUTHORIZED:
                return responses.answer("UNAUTHORIZED", request_id)
            # As for a function of a route: Lambda's log has the trace, the caller gets a gateway response.
            traceback.print_exc()
            return responses.answer("AUTHORIZER_CONFIGURATION_ERROR", request_id)
        if not allows(answer["policyDocument"], arn):
            return responses.answer("ACCESS_DENIED", request_id)
        latency = round((time.monotonic() - started) * 1000)
        return {"principalId": answer["principalId"], **answer["context"], "integrationLatency": latency}
