"""What every admin route shares: the caller's account, its request read and its answer written, errors as
{"error": ...}, and the routes as the OpenAPI document describes them."""

import contextvars
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, TypeVar

from mailhooks.bodies import ID_SHAPE, Problems, Shape, given_fields, read_body, said
from mailhooks.errors import Forbidden, MailhooksError, NotFound
from mailhooks.gateway import GatewayRequest
from mailhooks.json_form import json_answer, json_object
from mailhooks.models import Account
from mailhooks.store.accounts import account_records

F = TypeVar("F", bound=Callable[..., Any])
V = TypeVar("V")


@dataclass(frozen=True)
class Answer:
    """What the admin API answers a request."""

    status: int
    body: str
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """An admin route: what it reads from the request, and what it answers (its function's return type)."""

    method: str
    path: str
    summary: str
    function: Callable[..., Any]
    description: str | None = None
    # Its answer's status, and what that status means where the summary does not say.
    status: int = 200
    answered: str | None = None
    # A body read whole, or one whose given fields only are handed over (a change of some fields).
    body: type | None = None
    given: type | None = None
    # Path values that are ids of records: numbers DynamoDB keys hold.
    ids: tuple[str, ...] = ()
    query: Mapping[str, tuple[Shape, str | None]] = field(default_factory=dict)

    # What the route's declaration gives, worked out at its first request rather than at each.
    @cached_property
    def pattern(self) -> "re.Pattern[str]":
        """The paths it answers: each <name> one segment of the path."""
        return re.compile(re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", self.path) + "$")

    @cached_property
    def required_query(self) -> set[str]:
        """The query parameters without a default in the function."""
        parameters = inspect.signature(self.function).parameters
        return {name for name in self.query if parameters[name].default is inspect.Parameter.empty}

    @cached_property
    def body_parameter(self) -> str:
        """The function's one parameter that takes the body read whole: the one its type annotates."""
        parameters = inspect.signature(self.function).parameters.items()
        [name] = [name for name, each in parameters if each.annotation is self.body]
        return name


ROUTES: list[Route] = []
_request: contextvars.ContextVar[GatewayRequest] = contextvars.ContextVar("request")


def current_request() -> GatewayRequest:
    """The request being answered."""
    return _request.get()


def error_answer(error: MailhooksError) -> Answer:
    return Answer(error.status, json.dumps({"error": error.message}), headers=error.headers)


def _request_body(request: GatewayRequest) -> Any:
    try:
        return json_object(request.body.decode(errors="replace"))
    except ValueError as refused:
        raise Problems([((), str(refused))]) from None


def _arguments(request: GatewayRequest, declared: Route, path_values: dict[str, str]) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(path_values)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    readers = {name: ID_SHAPE for name in declared.ids} | {
        name: shape for name, (shape, _) in declared.query.items()
    }
    for name, shape in readers.items():
        value = path_values[name] if name in path_values else request.query.get(name)
        if value is None and name in declared.query:
            if name in declared.required_query:
                problems.append(((name,), "Field required"))
            continue  # the function's default
        try:
            arguments[name] = shape.read(value)
        except ValueError as refused:
            problems.append(((name,), str(refused)))
    if problems:
        raise Problems(problems)
    if declared.body is not None:
        arguments[declared.body_parameter] = read_body(declared.body, _request_body(request))
    if declared.given is not None:
        arguments["given"] = given_fields(declared.given, _request_body(request), changes=True)
    return arguments


def _served(declared: Route, request: GatewayRequest, path_values: dict[str, str]) -> Answer:
    token = _request.set(request)
    try:
        answer = declared.function(**_arguments(request, declared, path_values))
    except Problems as problems:
        raise said(problems) from None
    finally:
        _request.reset(token)
    if answer is None:
        return Answer(204, "")
    return Answer(declared.status, json_answer(answer))


def answer(request: GatewayRequest) -> Answer:
    """The answer of the route that the request's method and path lead to."""
    for declared in ROUTES:
        found = declared.pattern.match(request.path)
        if found and declared.method == request.method:
            return _served(declared, request, found.groupdict())
    raise NotFound("nothing answers at this URL with this method")


def route(method: str, path: str, summary: str, **declared: Any) -> Callable[[F], F]:
    """Serve a function at a method and path of the admin API: its arguments read from the request (a 400
    naming every problem), its answer written as JSON (a record, a list of records, or None for a 204)."""

    def register(function: F) -> F:
        ROUTES.append(Route(method.upper(), path, summary, function, **declared))
        return function

    return register


def view_of(view: type[V], record: object, **more: Any) -> V:
    """An answer's view of a record: each of the view's fields given, or the record's own of the same name,
    or (where the record has none) the view's default."""
    names = [each.name for each in fields(view)]  # type: ignore[arg-type]
    shown = {name: getattr(record, name) for name in names if name not in more and hasattr(record, name)}
    return view(**shown, **more)


def account_id() -> int:
    """The caller's account, as the authorizer found it from the API key; never from the request itself."""
    return int(current_request().authorizer["account_id"])


def paid_account() -> Account:
    """The caller's account, which must be on a paid plan: inbound webhooks are for paying accounts."""
    account = account_records().get_account(account_id())
    if account is None:
        raise NotFound("this API key's account no longer exists")
    if account.plan != "paid":
        raise Forbidden("inbound webhooks are a feature of paid plans, and this account is on the free plan")
    return account
