"""The local API Gateway: a WSGI application that hands each request to its route's function.

A request goes: route match, proxy event, the route's authorizer (devstack.authorizers) if it has one,
function, HTTP answer.
"""

import sys
import traceback
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from devstack.apigateway import MalformedResult, http_response, proxy_event
from devstack.authorizers import Authorization
from devstack.functions import Functions
from devstack.routes import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class Front:
    def __init__(self, router: Router, functions: Functions) -> None:
        self.router = router
        self.functions = functions
        self.authorization = Authorization(functions)

    def answer(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        match = self.router.match(request.method, request.path)
        responses = self.router.routes[0].api.responses
        if match is None:
            return responses.answer("MISSING_AUTHENTICATION_TOKEN", request_id)
        event = proxy_event(request, match, request_id)
        if match.route.authorizer is not None:
            verdict = self.authorization.check(match.route, event)
            if isinstance(verdict, Response):
                return verdict
            event["requestContext"]["authorizer"] = verdict
        try:
            result = self.functions.invoke(match.route.function, event)
        except Exception:
            # Lambda reports an unhandled error to API Gateway, which answers 502; the trace is the log's.
            traceback.print_exc()
            return responses.answer("DEFAULT_5XX", request_id)
        try:
            return http_response(result, request_id)
        except MalformedResult as error:
            print(f"{match.route.function} answered a malformed proxy result: {error}", file=sys.stderr)
            return responses.answer("DEFAULT_5XX", request_id)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        response = self.answer(Request(environ))
        return response(environ, start_response)
