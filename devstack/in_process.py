"""The AWS calls of the local stack's own process, answered by moto's server application in the caller's
thread, without the socket.

The functions and the pollers run in the process that serves moto. Over loopback, each of their AWS calls
cost more in botocore's HTTP client, werkzeug's HTTP server and the switches between their threads than
moto spent answering it; and their signing (SigV4, which moto does not check) about as much again. Here
botocore's before-send hands each request to the server's application (behind the same lock, so that an
answer does not depend on how its request came), and choose-signer leaves it unsigned: moto reads from a
signature only its credential (the access key, for the account; the region; the service, to dispatch the
request), which the request gets as it would have had it. Every client of this process goes to the local
server (devstack.local_aws sets the environment so); a request to AWS itself could not be answered anyway,
the credentials being moto's.

moto's server is a Flask application per service, each request going to the handler of its path, and
Flask's work around it (its contexts, the response it builds and finalizes, CORS headers which a botocore
client does not read) cost as much as moto's handler itself. A request is handed to that handler as Flask
hands it, as the request class of moto's server; one the application would answer otherwise (a path it
has no handler for, a HEAD) goes through the whole application.

A request whose body is streamed, or with a header name with "_" (which moto's server reads in a way of its
own), goes over HTTP, unsigned with its credential likewise.
"""

import io
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.utils import convert_to_flask_response
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import BackendRequest, DomainDispatcherApplication
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Response

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[int, list[tuple[str, str]], bytes]
# What choose-signer is asked for a presigned URL or POST (a suffix of the signature version): signed.
_PRESIGNING = ("-query", "-presign-post")


class InProcess:
    """The handlers of botocore's choose-signer and before-send events, for requests to the endpoint."""

    def __init__(
        self,
        endpoint: str,
        app: App,
        dispatcher: DomainDispatcherApplication,
        lock: AbstractContextManager[Any],
        access_key: str,
    ) -> None:
        """app: the server's application, which is the dispatcher's behind the lock."""
        self._prefix = endpoint + "/"
        self._app = app
        self._dispatcher = dispatcher
        self._lock = lock
        self._access_key = access_key
        # The credential of the request under way in each thread, between its signing and its sending.
        self._credential = threading.local()

    def choose_signer(self, signing_name: str, region_name: str, signature_version: Any, **_: Any) -> Any:
        if isinstance(signature_version, str) and signature_version.endswith(_PRESIGNING):
            return None
        day = time.strftime("%Y%m%d", time.gmtime())
        self._credential.value = f"{self._access_key}/{day}/{region_name}/{signing_name}/aws4_request"
        return botocore.UNSIGNED

    def before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        credential, self._credential.value = getattr(self._credential, "value", None), None
        if credential is None or not request.url.startswith(self._prefix):
            return None
        request.headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={credential}, Signature=-"
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if not isinstance(body, bytes | None) or any("_" in name for name in request.headers):
            return None
        environ = _environ(request, body or b"")
        try:
            answer = self._handled(environ) or self._answered(environ)
        except Exception:
            # As werkzeug's server answers an exception of the application: logged, and a 500.
            print(f"Error on request:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
            answer = _answer(InternalServerError().get_response())
        status, headers, content = answer
        return AWSResponse(request.url, status, HTTPHeaders.from_pairs(headers), MockRawResponse(content))

    def _handled(self, environ: dict[str, Any]) -> Answer | None:
        """The answer of moto's handler of the request, called as moto's Flask view calls it; None (and not
        called) where the application would answer otherwise."""
        if environ["REQUEST_METHOD"] == "HEAD":
            return None
        with self._lock:
            app = self._dispatcher.get_application(environ)
            try:
                endpoint, _ = app.url_map.bind_to_environ(environ).match()
            except HTTPException:
                return None
            view = app.view_functions.get(endpoint)
            if not isinstance(view, convert_to_flask_response):
                return None
            request = BackendRequest(environ)
            recorder._record_request(request)
            try:
                result = view.callback(request, request.raw_url, dict(request.headers))
            except ClientError as error:
                result = 400, {}, error.response["Error"]["Message"]
            except HTTPException as error:  # which Flask answers with the error's own response
                return _answer(error.get_response(environ))
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        return _answer(Response(response=content, status=status, headers=headers))

    def _answered(self, environ: dict[str, Any]) -> Answer:
        """The answer of the server's whole application."""
        chunks, status, headers = run_wsgi_app(self._app, environ, buffered=True)
        return int(status.split()[0]), list(headers), b"".join(chunks)


def _answer(response: Response) -> Answer:
    return response.status_code, list(response.headers), response.get_data()


def _environ(request: AWSPreparedRequest, body: bytes) -> dict[str, Any]:
    """The request's WSGI environment, as werkzeug's server makes it of a request it reads."""
    url = urlsplit(request.url)
    uri = url.path + (f"?{url.query}" if url.query else "")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # WSGI's strings are bytes as latin-1
        "PATH_INFO": unquote(url.path).encode().decode("latin-1"),
        "QUERY_STRING": url.query,
        "REQUEST_URI": uri,
        "RAW_URI": uri,
        "SERVER_NAME": url.hostname,
        "SERVER_PORT": str(url.port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        # botocore sets some values as bytes, which http.client sends as they are
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = text
    return environ
