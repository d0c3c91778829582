"""Webhook receivers for the fault tests: real HTTP servers on 127.0.0.1 whose answer to each request is
drawn, from a seeded generator, for its webhook-id and for how many times that webhook-id has arrived: what
happens to each delivery is known in advance, whatever order the deliverer's threads send in.

Their answers: a 200; a 500; a reset connection (the request read, then the socket closed with SO_LINGER 0,
which sends RST in place of an answer); or a hang (no answer at all: the connection is held until the
client hangs up, then closed). Only a 200 written out in full counts as an answer given.

The servers run in a process of their own, as receivers run on machines of their own: the deliverer's
threads and moto do not share an interpreter lock with them, so that a healthy answer is not held up by
the test's own work.
"""

import contextlib
import multiprocessing
import random
import select
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any

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
    """A receiver's odds: the share of requests answered with a 500, with a reset, and not at all."""

    name: str
    seed: int
    error: float = 0.0
    reset: float = 0.0
    hang: float = 0.0

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    receiver: "ChaosReceiver"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up on a hanging answer is the point of it."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        webhook_id = self.headers.get("webhook-id", "")
        behaviour = self.server.receiver.arrive(webhook_id)
        if behaviour is Behaviour.RESET:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if behaviour is Behaviour.HANG:
            # Readable once the client shuts or closes its end: then nobody is left to answer.
            select.select([self.connection], [], [], HANG_LIMIT)
            self.close_connection = True
            return
        status, body = (200, b"{}") if behaviour is Behaviour.OK else (500, ERROR_BODY)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if status == 200:
            self.server.receiver.answered_ok(webhook_id)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ChaosReceiver:
    def __init__(self, chaos: Chaos) -> None:
        self.chaos = chaos
        self.tally = Tally(Counter(), Counter())
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def arrive(self, webhook_id: str) -> Behaviour:
        with self._lock:
            self.tally.arrivals[webhook_id] += 1
            return self.chaos.decide(webhook_id, self.tally.arrivals[webhook_id])

    def answered_ok(self, webhook_id: str) -> None:
        with self._lock:
            self.tally.ok_answers[webhook_id] += 1

    def report(self) -> Tally:
        with self._lock:
            return Tally(Counter(self.tally.arrivals), Counter(self.tally.ok_answers))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


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
