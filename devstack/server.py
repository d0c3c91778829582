"""A WSGI application served on 127.0.0.1 by a thread of its own, and a thread per connection."""

import socket
import sys
import threading
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from devstack.keep_alive import KeepAlive, KeepAliveServer
from devstack.local_aws import HOST

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class RequestLog(WSGIRequestHandler):
    """One line per request on stderr, apart from moto's (which werkzeug's logger would print too)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if sys.stderr.isatty():  # werkzeug colours the line by status
            super().log_request(code, size)
        else:
            self.log("info", '"%s" %s', self.requestline, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        print(f"[{self.log_date_time_string()}] {message % args}", file=sys.stderr, flush=True)


class QuietRequests(KeepAlive):
    """No line per request: the application says what it received. Connections are kept, as a receiver on
    the internet keeps them: the deliverer's pooled ones are not opened anew for each delivery."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LoopbackServer:
    def __init__(
        self,
        app: "WSGIApplication",
        port: int,
        name: str,
        request_handler: type[WSGIRequestHandler] = RequestLog,
    ) -> None:
        # Bound here rather than by werkzeug, which exits the process when the port is taken: the caller
        # gets the OSError, and what was started is stopped on the way out.
        listening = socket.create_server((HOST, port))
        try:
            self._server: BaseWSGIServer = KeepAliveServer(
                HOST, port, app, request_handler, fd=listening.fileno()
            )
        finally:
            listening.close()  # werkzeug listens on a duplicate of it
        self.port: int = self._server.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
