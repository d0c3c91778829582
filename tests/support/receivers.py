"""Webhook receivers for the delivery tests: real HTTP servers on 127.0.0.1, each in its own thread, that
answer with scripted replies and keep what they received."""

import contextlib
import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    # Seconds before the answer starts.
    delay: float = 0.0
    # Seconds between the bytes of the body, sent one at a time.
    trickle: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A whole batch connects at once: a short backlog would drop connections and delay them by seconds.
    request_queue_size = 64
    receiver: "Receiver"
    open_connections: set[socket.socket]

    def process_request(self, request: Any, client_address: Any) -> None:
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.open_connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the kept-alive connections too: their handler threads would otherwise wait on them, after
        the test, for as long as the deliverer's pooled session lives."""
        for connection in list(self.open_connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (the deliverer's deadline) is what some tests are about."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.receiver.take(Received(self.path, dict(self.headers.items()), body))
        time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for index in range(len(reply.body)):
            self.wfile.write(reply.body[index : index + 1])
            self.wfile.flush()
            time.sleep(reply.trickle)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """Answers the n-th request with the n-th reply, and every later one with the last reply."""

    def __init__(self, replies: Sequence[Reply], tls: ssl.SSLContext | None = None) -> None:
        self.replies = list(replies) or [Reply()]
        self.received: list[Received] = []
        self.server_names: list[str | None] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._server.open_connections = set()
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        # A short poll: stopping waits for the loop to look again.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hooks/activity"

    def take(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            return self.replies[min(len(self.received), len(self.replies)) - 1]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()


@contextmanager
def receivers() -> Iterator[Callable[..., Receiver]]:
    """start(Reply(...), ...) starts a receiver that answers with those replies, in order; every receiver
    started stops on leaving."""
    started: list[Receiver] = []

    def start(*replies: Reply, tls: ssl.SSLContext | None = None) -> Receiver:
        started.append(Receiver(replies, tls))
        return started[-1]

    try:
        yield start
    finally:
        for each in started:
            each.stop()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """receiver(Reply(...), ...) starts a receiver; every one started stops after the test."""
    with receivers() as start:
        yield start


def self_signed(directory: Path, host: str) -> tuple[Path, ssl.SSLContext]:
    """A certificate for host, signed by itself, and a server context that presents it: the path is what a
    client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / f"{host}.pem"
    key_path = directory / f"{host}.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)
    return certificate_path, context
