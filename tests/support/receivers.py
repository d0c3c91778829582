"""Webhook receivers for the tests: real HTTP servers on 127.0.0.1, each on a port of its own (port 0: workers
running side by side never collide), in a thread of its own, that keep what they received.

What a receiver answers is a Reply, chosen per request:
- Receiver answers the n-th request with the n-th of its scripted replies, and every later one with the
  last; a reply may wait before answering, trickle its body, reset the connection or never answer. It
  also notes the most requests it held at once (a reply's delay is a hold).
- ChaosReceiver draws each answer, from a seeded generator, for the request's webhook-id and for how many
  times that webhook-id has arrived: what happens to each delivery is known in advance, whatever order the
  deliverer's threads send in. Its answers: a 200; a 500; a reset connection (the request read, then the
  socket closed with SO_LINGER 0, which sends RST in place of an answer); or a hang (no answer at all: the
  connection is held until the client hangs up, then closed). Only a 200 written out in full counts as an
  answer given. chaos_receivers() runs them in a process of their own, as receivers run on machines of
  their own: the deliverer's threads and moto do not share an interpreter lock with them, so that a
  healthy answer is not held up by the test's own work.
"""

import contextlib
import datetime
import multiprocessing
import random
import select
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from devstack.template import ROOT
from mailhooks.tls import INDEXED

# The longest a hanging answer holds its connection, should the client not hang up first.
HANG_LIMIT = 10.0
ERROR_BODY = b"chaos says no"
# The longest the test waits for the receivers' process to start or to answer.
CONTROL_TIMEOUT = 30.0


class Behaviour(StrEnum):
    OK = "ok"
    ERROR = "error"
    RESET = "reset"
    HANG = "hang"


@dataclass(frozen=True)
class Chaos:
    """A receiver's odds: the share of requests answered with a 500, with a reset, and not at all; and the
    seconds each answer takes."""

    name: str
    seed: int
    error: float = 0.0
    reset: float = 0.0
    hang: float = 0.0
    delay: float = 0.0

    def decide(self, webhook_id: str, arrival: int) -> Behaviour:
        """What the receiver does with the arrival-th request (from 1) that carries this webhook-id."""
        value = random.Random(f"{self.seed}:{self.name}:{webhook_id}:{arrival}").random()
        for behaviour, share in ((Behaviour.ERROR, self.error), (Behaviour.RESET, self.reset)):
            if value < share:
                return behaviour
            value -= share
        return Behaviour.HANG if value < self.hang else Behaviour.OK


@dataclass(frozen=True)
class Fate:
    """What must become of one delivery to a receiver, from the receiver's draws."""

    attempts: int
    delivered: bool
    # What the receiver did with the last attempt.
    last: Behaviour


def fate(chaos: Chaos, webhook_id: str, attempts: int) -> Fate:
    """The fate of a delivery that is given up after that many attempts."""
    for attempt in range(1, attempts + 1):
        behaviour = chaos.decide(webhook_id, attempt)
        if behaviour is Behaviour.OK:
            return Fate(attempt, True, behaviour)
    return Fate(attempts, False, behaviour)


@dataclass
class Tally:
    """What one receiver saw: the requests of each webhook-id, and its 200 answers given in full."""

    arrivals: Counter[str]
    ok_answers: Counter[str]


def assert_counts(what: str, seen: Counter[str], expected: Counter[str], shown: int = 5) -> None:
    """Assert two counts by webhook-id equal, saying briefly what differs: a message that stays readable
    when thousands of ids are compared."""
    differing = {
        key: (seen[key], expected[key]) for key in seen.keys() | expected.keys() if seen[key] != expected[key]
    }
    some = dict(sorted(differing.items())[:shown])
    assert not differing, f"{what}: {len(differing)} webhook-ids differ (seen, expected), such as {some}"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    # Seconds before the answer starts.
    delay: float = 0.0
    # Seconds between the bytes of the body, sent one at a time.
    trickle: float = 0.0
    # No answer: the connection reset (RST) once the request is read.
    reset: bool = False
    # No answer: the connection held until the client hangs up (or HANG_LIMIT), then closed.
    hang: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, whatever its case ("" without it)."""
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A whole batch connects at once: a short backlog would drop connections and delay them by seconds.
    request_queue_size = 128
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
        """A client that hung up mid-answer (the deliverer's deadline, a hang) is what some tests are
        about."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        receiver = self.server.receiver
        received = Received(self.path, dict(self.headers.items()), body)
        reply = receiver.take(received)
        try:
            time.sleep(reply.delay)
        finally:
            # Before answering: the sender's slot is free only once the answer is in.
            receiver.release()
        if reply.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if reply.hang:
            # Readable once the client shuts or closes its end: then nobody is left to answer.
            select.select([self.connection], [], [], HANG_LIMIT)
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if not reply.trickle:
            self.wfile.write(reply.body)
        else:
            for index in range(len(reply.body)):
                self.wfile.write(reply.body[index : index + 1])
                self.wfile.flush()
                time.sleep(reply.trickle)
        self.wfile.flush()
        receiver.answered(received, reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """Answers the n-th request with the n-th reply, and every later one with the last reply."""

    def __init__(self, replies: Sequence[Reply] = (), tls: ssl.SSLContext | None = None) -> None:
        self.replies = list(replies) or [Reply()]
        self.received: list[Received] = []
        self.server_names: list[str | None] = []
        # Requests held (read, not yet answered) now, and the most at once.
        self.held = self.peak = 0
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
            self.held += 1
            self.peak = max(self.peak, self.held)
            return self.choose(received)

    def choose(self, received: Received) -> Reply:
        """The reply to the request just received (self.received[-1]); called under the lock."""
        return self.replies[min(len(self.received), len(self.replies)) - 1]

    def release(self) -> None:
        with self._lock:
            self.held -= 1

    def answered(self, received: Received, reply: Reply) -> None:
        """The reply was written out in full."""

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


class VerifyingReceiver(Receiver):
    """Checks each request's Standard Webhooks signature with the one secret it was given, as a receiver
    does: 204 when it verifies, 401 otherwise."""

    secret = ""

    def choose(self, received: Received) -> Reply:
        headers = {name.lower(): value for name, value in received.headers.items()}
        try:
            Webhook(self.secret).verify(received.body, headers)
        except WebhookVerificationError:
            return Reply(401, body=b"bad signature")
        return Reply(204, body=b"")


@pytest.fixture
def verifying_receiver() -> Iterator[VerifyingReceiver]:
    """A VerifyingReceiver, stopped after the test; its secret is the test's to set."""
    started = VerifyingReceiver()
    try:
        yield started
    finally:
        started.stop()


_JSON = {"Content-Type": "application/json"}
_CHAOS_REPLIES = {
    Behaviour.OK: Reply(200, _JSON, b"{}"),
    Behaviour.ERROR: Reply(500, _JSON, ERROR_BODY),
    Behaviour.RESET: Reply(reset=True),
    Behaviour.HANG: Reply(hang=True),
}


class ChaosReceiver(Receiver):
    """Answers as its Chaos draws for each webhook-id's arrival, and tallies what it saw."""

    def __init__(self, chaos: Chaos) -> None:
        self.chaos = chaos
        self.tally = Tally(Counter(), Counter())
        super().__init__()

    def choose(self, received: Received) -> Reply:
        webhook_id = received.header("webhook-id")
        self.tally.arrivals[webhook_id] += 1
        reply = _CHAOS_REPLIES[self.chaos.decide(webhook_id, self.tally.arrivals[webhook_id])]
        return replace(reply, delay=self.chaos.delay) if self.chaos.delay else reply

    def answered(self, received: Received, reply: Reply) -> None:
        if reply.status == 200:
            with self._lock:
                self.tally.ok_answers[received.header("webhook-id")] += 1

    def report(self) -> Tally:
        with self._lock:
            return Tally(Counter(self.tally.arrivals), Counter(self.tally.ok_answers))


def _serve(chaos: list[Chaos], control: Connection) -> None:
    """The receivers' process: start one receiver per Chaos, send their ports, then answer the test's
    "report" with every receiver's tally, until it says "stop" or goes away."""
    started = {each.name: ChaosReceiver(each) for each in chaos}
    control.send({name: receiver.port for name, receiver in started.items()})
    with contextlib.suppress(EOFError, OSError):
        while (command := control.recv()) != "stop":
            if command == "report":
                control.send({name: receiver.report() for name, receiver in started.items()})
    for receiver in started.values():
        receiver.stop()


@dataclass
class Receivers:
    """The receivers' process, seen from the test."""

    ports: dict[str, int]
    _control: Connection

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}/hooks/activity"

    def report(self) -> dict[str, Tally]:
        self._control.send("report")
        if not self._control.poll(CONTROL_TIMEOUT):
            raise TimeoutError("the receivers' process did not report")
        tallies: dict[str, Tally] = self._control.recv()
        return tallies


@contextmanager
def chaos_receivers(*chaos: Chaos) -> Iterator[Receivers]:
    """One receiver per Chaos, in a process of their own, stopped on leaving."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(list(chaos), theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(CONTROL_TIMEOUT):
            raise TimeoutError("the receivers' process did not start")
        yield Receivers(ours.recv(), ours)
    finally:
        with contextlib.suppress(OSError):
            ours.send("stop")
        process.join(CONTROL_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join(CONTROL_TIMEOUT)
        ours.close()


PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def certificate(
    subject: x509.Name,
    issuer: x509.Name,
    key: PrivateKey,
    signer: PrivateKey,
    *,
    authority: bool,
    host: str = "",
) -> x509.Certificate:
    """A certificate of the key's for the subject, signed by the signer in the issuer's name, valid now: an
    authority's, or not; for the host, if one is named."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if host:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def presenting(
    directory: Path, name: str, served: x509.Certificate, key: PrivateKey
) -> tuple[Path, ssl.SSLContext]:
    """The certificate and its key written to the directory, and a server context that presents them: the
    certificate's path is what a client may trust."""
    certificate_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    certificate_path.write_bytes(served.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_path, key_path)
    return certificate_path, context


def self_signed(directory: Path, host: str) -> tuple[Path, ssl.SSLContext]:
    """A certificate for host, signed by itself, and a server context that presents it: the path is what a
    client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    return presenting(directory, host, certificate(name, name, key, key, authority=True, host=host), key)


def indexed(bundle: Path) -> Path:
    """The folder of the bundle's authorities one to a file, written beside it by the layer's own script, as
    its build writes certifi's (layers/common/index_authorities.py)."""
    script = ROOT / "layers" / "common" / "index_authorities.py"
    subprocess.run([sys.executable, str(script), str(bundle)], check=True)  # noqa: S603  # the layer's script
    return bundle.with_name(bundle.name + INDEXED)
