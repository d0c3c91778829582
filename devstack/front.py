"""The local API Gateway: an HTTP server on loopback that hands each request to its route's function.

A request goes: route match, proxy event, function, HTTP answer. A REQUEST Lambda authorizer, once the
template's Api has one (RestApi.auth), belongs between the event and the function: invoke the authorizer
function with the request's authorizer event, answer 401/403 as API Gateway does, and add its context to
the event's requestContext.authorizer.
"""

import socket
import sys
import threading
import traceback
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devstack.apigateway import MalformedResult, gateway_error, http_response, proxy_event
from devstack.functions import Functions
from devstack.local_aws import HOST
from devstack.routes import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# What a REST API answers for a path or method it has no route for: 403, not 404, so as not to tell
# which paths exist.
NO_ROUTE = (403, "Missing Authentication Token", "MissingAuthenticationTokenException")
FUNCTION_FAILED = (502, "Internal server error", "InternalServerErrorException")


class Front:
    def __init__(self, router: Router, functions: Functions) -> None:
        self.router = router
        self.functions = functions

    def answer(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        match = self.router.match(request.method, request.path)
        if match is None:
            return gateway_error(*NO_ROUTE, request_id)
        event = proxy_event(request, match, request_id)
        try:
            result = self.functions.invoke(match.route.function, event)
        except Exception:
            # Lambda reports an unhandled error to API Gateway, which answers 502; the trace is the log's.
            traceback.print_exc()
            return gateway_error(*FUNCTION_FAILED, request_id)
        try:
            return http_response(result, request_id)
        except MalformedResult as error:
            print(f"{match.route.function} answered a malformed proxy result: {error}", file=sys.stderr)
            return gateway_error(*FUNCTION_FAILED, request_id)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        response = self.answer(Request(environ))
        return response(environ, start_response)


class _RequestLog(WSGIRequestHandler):
    """One line per request on stderr, apart from moto's (which werkzeug's logger would print too)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if sys.stderr.isatty():  # werkzeug colours the line by status
            super().log_request(code, size)
        else:
            self.log("info", '"%s" %s', self.requestline, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        print(f"[{self.log_date_time_string()}] {message % args}", file=sys.stderr, flush=True)


class FrontServer:
    """The front, served by a thread of its own and a thread per request."""

    def __init__(self, front: Front, port: int) -> None:
        # Bound here rather than by werkzeug, which exits the process when the port is taken: the caller
        # gets the OSError, and moto's server is stopped on the way out.
        listening = socket.create_server((HOST, port))
        try:
            self._server: BaseWSGIServer = make_server(
                HOST, port, front, threaded=True, request_handler=_RequestLog, fd=listening.fileno()
            )
        finally:
            listening.close()  # werkzeug listens on a duplicate of it
        self.port: int = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="front", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
