"""werkzeug's threaded WSGI server, keeping each connection open for the client's next request.

werkzeug answers every request with "Connection: close", since http.server cannot tell where a request
body the application left unread ends, and the next request begins. Every call to the local stack then
paid for a TCP connection and a server thread of its own: every AWS call a function made to moto's server,
a dozen for one inbound call, each spent longer opening and closing than being answered. Here the body is
read whole before the application runs, so that the next request starts where it ends. A request whose
body's end is not known beforehand (a chunked body; an Expect: 100-continue, where the client waits for a
go-ahead before sending it) is answered as werkzeug answers it, and its connection closed.
"""

import contextlib
import io
import socket
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler


class KeepAlive(WSGIRequestHandler):
    # Without TCP_NODELAY, the body werkzeug writes after the headers would wait for the client's delayed
    # acknowledgement of them (40 ms on Linux), now that the connection outlives the response.
    disable_nagle_algorithm = True
    _keeping = False

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if "Transfer-Encoding" in self.headers or "Expect" in self.headers or not length.isdigit():
            super().run_wsgi()
            return
        connection = self.rfile
        # werkzeug reads the body from rfile, and afterwards drains rfile of anything the client sent
        # beyond it: from the connection, that would be the client's next request.
        self.rfile = io.BytesIO(connection.read(int(length)))
        self._keeping = True
        try:
            super().run_wsgi()
        finally:
            self.rfile = connection
            self._keeping = False

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug's "Connection: close", which would also end http.server's loop over the connection.
        if self._keeping and keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)


class KeepAliveServer(ThreadedWSGIServer):
    """A thread per connection; once closed, the connections it kept open are closed too (their clients
    would otherwise still be answered by a server that was stopped)."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        # Before werkzeug's own: given a socket (fd), it closes the one socketserver opened.
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*arguments, **options)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            for connection in self._open:
                with contextlib.suppress(OSError):  # closed by the client meanwhile
                    connection.shutdown(socket.SHUT_RDWR)
