"""The REST API routes of the template: each `Type: Api` event of a function, matched as API Gateway does."""

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from devstack.gateway_responses import GatewayResponses
from devstack.template import Stack, rest_api_id

# What SAM calls the API it creates for Api events that name no RestApiId, and that API's stage.
IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"
ANY = "ANY"

_PARAMETER = re.compile(r"\{([^{}+]+)(\+?)\}")


# What a route's Auth.Authorizer names to have none, though the Api has a default authorizer.
NO_AUTHORIZER = "NONE"


@dataclass(frozen=True)
class LambdaAuthorizer:
    """A Lambda authorizer of the REQUEST type, as an Api's Auth.Authorizers declares it."""

    name: str
    function: str
    # Where the caller's identity is: API Gateway answers 401 without the authorizer when one is missing.
    headers: tuple[str, ...]
    query_strings: tuple[str, ...]
    # Seconds an answer is cached for the same identity; 0 for none.
    ttl: int


@dataclass(frozen=True)
class RestApi:
    logical_id: str
    stage: str
    binary_media_types: tuple[str, ...]
    authorizers: dict[str, LambdaAuthorizer]
    default_authorizer: str | None
    responses: GatewayResponses

    @property
    def api_id(self) -> str:
        return rest_api_id(self.logical_id)

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
    authorizer: LambdaAuthorizer | None


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
    auth = properties.get("Auth", {})
    authorizers = {
        name: _authorizer(logical_id, name, spec) for name, spec in auth.get("Authorizers", {}).items()
    }
    responses = GatewayResponses(stack.resolve(properties.get("GatewayResponses", {})))
    return RestApi(logical_id, stage, binary, authorizers, auth.get("DefaultAuthorizer"), responses)


def _authorizer(api: str, name: str, spec: dict[str, Any]) -> LambdaAuthorizer:
    arn = spec.get("FunctionArn")
    function = arn["Fn::GetAtt"][0] if isinstance(arn, dict) and "Fn::GetAtt" in arn else None
    identity = spec.get("Identity", {})
    unsupported = sorted(set(identity) - {"Headers", "QueryStrings", "ReauthorizeEvery"})
    if spec.get("FunctionPayloadType") != "REQUEST" or function is None or unsupported:
        raise ValueError(
            f"{api}'s authorizer {name}: only REQUEST Lambda authorizers whose FunctionArn is a !GetAtt of a "
            "function of the template, with identities in headers and query strings, are emulated locally"
        )
    return LambdaAuthorizer(
        name=name,
        function=function,
        headers=tuple(identity.get("Headers", [])),
        query_strings=tuple(identity.get("QueryStrings", [])),
        ttl=int(identity.get("ReauthorizeEvery", 300)),
    )


def _route_authorizer(api: RestApi, where: str, properties: dict[str, Any]) -> LambdaAuthorizer | None:
    name = properties.get("Auth", {}).get("Authorizer", api.default_authorizer)
    if name in (None, NO_AUTHORIZER):
        return None
    if name not in api.authorizers:
        raise ValueError(f"{where}: {api.logical_id} has no authorizer {name} (AWS_IAM is not emulated)")
    return api.authorizers[name]


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
            api = apis[api_ref["Ref"]]
            authorizer = _route_authorizer(api, f"{function}.{event_name}", properties)
            found[resource, method] = Route(
                api, function, method, resource, pattern, names, kinds, authorizer
            )
    return sorted(found.values(), key=lambda route: (route.specificity, route.resource))


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
