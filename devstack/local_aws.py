"""AWS on loopback: moto's server in this process, and an environment that sends every boto3 client to it
(the clients of this process, the functions' and the pollers', without the socket: devstack.in_process)."""

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from flask import Flask
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

from devstack import moto_fixes
from devstack.in_process import InProcess
from devstack.keep_alive import KeepAlive, KeepAliveServer
from devstack.template import REGION

HOST = "127.0.0.1"

# Variables that would take a client elsewhere than the moto server, or to real credentials.
_REMOVED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


def client_environment(endpoint: str) -> dict[str, str]:
    """The variables that send a boto3 client to the endpoint, with moto's fake credentials: credentials
    from the environment outrank any profile or instance role, so nothing reaches AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def _point_boto3_at(endpoint: str) -> None:
    # A service's own AWS_ENDPOINT_URL_<SERVICE> outranks AWS_ENDPOINT_URL in botocore: drop them all.
    for name in [*_REMOVED, *(name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_"))]:
        os.environ.pop(name, None)
    os.environ.update(client_environment(endpoint))
    # A proxy configured in the shell must not see calls to loopback (botocore and urllib honour these).
    for name in ("NO_PROXY", "no_proxy"):
        hosts = [host for host in os.environ.get(name, "").split(",") if host]
        os.environ[name] = ",".join(dict.fromkeys([*hosts, HOST, "localhost"]))


class _OneRequestAtATime:
    """AWS applies each request atomically (a conditional write, an ADD, a transaction); moto's backends
    are not thread-safe, and a transaction racing another fails inside moto. One request at a time gives
    the callers AWS's per-request atomicity while they still run concurrently between requests."""

    def __init__(self, app: DomainDispatcherApplication) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class _MotoKeepAlive(KeepAlive, MotoRequestHandler):
    pass


def _backend_app(service: Any) -> Flask:
    app = create_backend_app(service)
    # moto runs its Flask applications in debug mode, where Flask builds a class at each request (to word
    # a missing form field's error); an exception still reaches the server, which logs it and answers 500.
    app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


class _AtomicMotoServer(ThreadedMotoServer):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.app = _OneRequestAtATime(DomainDispatcherApplication(_backend_app))

    def _server_entry(self) -> None:
        # ThreadedMotoServer's own entry, with the application serialised and connections kept open.
        self._server = KeepAliveServer(self._ip_address, self._port, self.app, _MotoKeepAlive)
        self._server_ready_event.set()
        self._server.serve_forever()

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            self._server.server_close()


class LocalAws:
    """moto's server on a free loopback port, and the process environment pointed at it."""

    def __init__(self) -> None:
        self._server = _AtomicMotoServer(ip_address=HOST, port=0, verbose=False)
        self.endpoint = ""
        self._in_process: InProcess | None = None

    def start(self) -> str:
        # moto and the front both log each request through werkzeug's logger; moto's would drown the
        # front's. The front logs its requests itself (devstack.front), so keep werkzeug to warnings.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto_fixes.apply()
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        _point_boto3_at(self.endpoint)
        environment = client_environment(self.endpoint)
        app = self._server.app
        self._in_process = InProcess(self.endpoint, app, app.app, app.lock, environment["AWS_ACCESS_KEY_ID"])
        # The default session's handlers are copied into each client it creates from now on; this one's
        # choose-signer before botocore's own. (botocore's stubs type a handler as answering nothing.)
        events = boto3._get_default_session().events
        events.register_first("choose-signer", self._in_process.choose_signer)
        events.register("before-send", self._in_process.before_send)  # type: ignore[arg-type]
        return self.endpoint

    def stop(self) -> None:
        if self._in_process is not None:
            events = boto3._get_default_session().events
            events.unregister("choose-signer", self._in_process.choose_signer)
            events.unregister("before-send", self._in_process.before_send)  # type: ignore[arg-type]
            self._in_process = None
        if self.endpoint:
            self._server.stop()
            self.endpoint = ""
