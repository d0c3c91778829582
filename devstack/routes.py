"""The REST API routes of the template: each `Type: Api` event of a function, matched as API Gateway does."""

import fnmatch
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from devstack.template import Stack

# What SAM calls the API it creates for Api events that name no RestApiId, and that API's stage.
IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"
ANY = "ANY"

_PARAMETER = re.compile(r"\{([^{}+]+)(\+?)\}")


@dataclass(frozen=True)
class RestApi:
    logical_id: str
    stage: str
    binary_media_types: tuple[str, ...]
    # Authorizers and the default one, as the template writes them; not enforced yet (see devstack.front).
    auth: dict[str, Any] | None

    @property
    def api_id(self) -> str:
        """An id shaped like API Gateway's (10 lowercase letters and digits), the same on every run."""
        return hashlib.sha256(self.logical_id.encode()).hexdigest()[:10]

    def is_binary(self, content_type: str | None) -> bool:
        """Whether API Gateway hands a body of this type to the function base64-encoded."""
        media_type = (content_type or "").partition(";")[0].strip().lower()
        # */* takes a body without a Content-Type too, which fnmatch's "*/*" would not.
        return any(
            pattern == "*/*" or fnmatch.fnmatchcase(media_type, pattern)
            for pattern in self.binary_media_types
        )


@dataclass(frozen=True)
class Route:
    api: RestApi
    function: str
    method: str
    resource: str
    pattern: re.Pattern[str]
    parameters: tuple[str, ...]
    # Ordering key: static segments before {name}, {name} before {name+}, as API Gateway prefers them.
    specificity: tuple[int, ...]


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def _compile(resource: str) -> tuple[re.Pattern[str], tuple[str, ...], tuple[int, ...]]:
    regex, names, kinds = "", [], []
    for segment in resource.strip("/").split("/") if resource.strip("/") else []:
        parameter = _PARAMETER.fullmatch(segment)
        if parameter is None:
            regex += "/" + re.escape(segment)
            kinds.append(0)
            continue
        names.append(parameter.group(1))
        greedy = bool(parameter.group(2))
        regex += "/(.+)" if greedy else "/([^/]+)"
        kinds.append(2 if greedy else 1)
    return re.compile(regex or "/"), tuple(names), tuple(kinds)


def _api(stack: Stack, logical_id: str) -> RestApi:
    if logical_id == IMPLICIT_API:
        properties = stack.template.get("Globals", {}).get("Api", {})
        stage = IMPLICIT_STAGE
    else:
        properties = stack.properties(logical_id)
        stage = str(stack.resolve(properties["StageName"]))
    # CloudFormation writes "/" in a media type as "~1" (JSON Pointer escaping).
    binary = tuple(
        str(stack.resolve(media_type)).replace("~1", "/").replace("~0", "~").lower()
        for media_type in properties.get("BinaryMediaTypes", [])
    )
    return RestApi(logical_id, stage, binary, properties.get("Auth"))


def routes(stack: Stack) -> list[Route]:
    """Every route of every function's Api events, most specific first."""
    apis: dict[str, RestApi] = {}
    found: dict[tuple[str, str], Route] = {}
    for function in stack.of_type("AWS::Serverless::Function"):
        for event_name, event in stack.properties(function).get("Events", {}).items():
            if event.get("Type") != "Api":
                continue
            properties = event["Properties"]
            api_ref = properties.get("RestApiId", {"Ref": IMPLICIT_API})
            if not (isinstance(api_ref, dict) and "Ref" in api_ref):
                raise ValueError(
                    f"{function}.{event_name}: RestApiId must be a !Ref to an Api of the template"
                )
            if api_ref["Ref"] not in apis:
                apis[api_ref["Ref"]] = _api(stack, api_ref["Ref"])
            resource = str(stack.resolve(properties["Path"]))
            method = str(stack.resolve(properties["Method"])).upper()
            method = ANY if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method
            if (resource, method) in found:
                other = found[resource, method].function
                raise ValueError(f"{method} {resource} is routed to both {other} and {function}")
            pattern, names, kinds = _compile(resource)
            found[resource, method] = Route(
                apis[api_ref["Ref"]], function, method, resource, pattern, names, kinds
            )
    return sorted(found.values(), key=lambda route: (route.specificity, route.resource))


def other_events(stack: Stack) -> list[tuple[str, str, str]]:
    """The events of functions other than Api ones, which the local stack does not deliver:
    (function, event, type)."""
    return [
        (function, name, str(event.get("Type")))
        for function in stack.of_type("AWS::Serverless::Function")
        for name, event in stack.properties(function).get("Events", {}).items()
        if event.get("Type") != "Api"
    ]


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def match(self, method: str, path: str) -> Match | None:
        """The route of the most specific resource that matches the path, its own method before ANY.

        Like API Gateway, a resource that matches the path but has no such method matches nothing: the
        request does not fall through to a less specific resource.
        """
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            methods = {other.method: other for other in self.routes if other.resource == route.resource}
            chosen = methods.get(method.upper()) or methods.get(ANY)
            if chosen is None:
                return None
            return Match(chosen, dict(zip(chosen.parameters, found.groups(), strict=True)))
        return None
