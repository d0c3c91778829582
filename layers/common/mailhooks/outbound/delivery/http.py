"""One POST of a delivery: pinned connections, and a deadline over each POST as a whole."""

import heapq
import itertools
import socket
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import certifi
from aws_lambda_powertools import Logger
from urllib3 import BaseHTTPResponse, PoolManager, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)

from mailhooks import clock
from mailhooks.models import ExportEndpoint
from mailhooks.outbound.delivery.signing import signed_headers
from mailhooks.outbound.delivery.ssrf import check_endpoint_url, checked_address
from mailhooks.outbound.delivery_message import DeliveryMessage
from mailhooks.outbound.endpoint_health.breaker import SLOW_DOWN
from mailhooks.settings import settings
from mailhooks.store.delivery_log import DeliveryAttempt
from mailhooks.tls import trust_store

logger = Logger(child=True)

USER_AGENT = "mailhooks/1.0 (+webhooks)"
# The largest batch the queue's event source hands over (template.yaml): the most POSTs at once.
BATCH_SIZE = 10
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_LENGTH = 500
# The answer header by which a receiver ends the retries of the message it answers.
ABORT_HEADER = "webhook-delivery"
ABORT = "abort-message"


class _Deadline:
    """Bounds one POST as a whole. Timeouts bound each wait on the network, not their sum (a receiver can
    trickle its answer a byte at a time): at the deadline the socket of the connection in use is shut,
    which ends any wait on it."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.due = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._connection: object = None
        self._over = False

    def __enter__(self) -> "_Deadline":
        self._token = _deadline.set(self)
        _WATCH.add(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._over = True
        _deadline.reset(self._token)

    def hold(self, connection: object) -> None:
        with self._lock:
            self._connection = connection

    def release(self) -> None:
        # Back in the pool, the connection can be another POST's at once: it must not be shut from now on.
        with self._lock:
            self._connection = None

    def expire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired = True
            sock = getattr(self._connection, "sock", None)
            if sock is not None:
                # socket's own shutdown: SSLSocket's would also drop the TLS state a read is using.
                with suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _DeadlineWatch:
    """One thread for the container's life that expires each POST's deadline when it is due: a timer
    thread per POST would cost a thread's start for every request."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, _Deadline]] = []
        self._added = threading.Condition()
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: _Deadline) -> None:
        with self._added:
            heapq.heappush(self._due, (deadline.due, next(self._count), deadline))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="delivery-deadlines", daemon=True)
                self._thread.start()
            self._added.notify()

    def _run(self) -> None:
        while True:
            with self._added:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._added.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _, _, deadline = heapq.heappop(self._due)
            deadline.expire()


_WATCH = _DeadlineWatch()


# The deadline of the POST under way in this thread.
_deadline: ContextVar[_Deadline | None] = ContextVar("deadline", default=None)


class _PinnedConnection(HTTPConnection):
    """Connects to the address its host was checked at, resolving the host itself."""

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        try:
            address = checked_address(name, self.port or self.default_port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        # urllib3 connects to _dns_host, which is also where host, the TLS server name, is read from once
        # connected: it names the checked address only while the socket connects.
        self._dns_host = address
        try:
            sock = super()._new_conn()
        finally:
            self._dns_host = name
        deadline = _deadline.get()
        if deadline is not None and deadline.expired:
            sock.close()
            raise ConnectTimeoutError(self, f"{self.host} resolved and connected after the deadline")
        return sock


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    """Hands each POST's deadline the connection it uses, for as long as it uses it."""

    ConnectionCls = _PinnedConnection

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)
        deadline = _deadline.get()
        if deadline is not None:
            deadline.hold(connection)
        return connection

    def _put_conn(self, conn: Any) -> None:
        deadline = _deadline.get()
        if deadline is not None:
            deadline.release()
        super()._put_conn(conn)


class _HTTPSPool(_Pool, HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


def _new_pools() -> PoolManager:
    """urllib3 itself, which botocore imports anyway. requests over it cost the deliverer's cold start 40 to
    50 ms, for a session that would have to be kept from a proxy of the environment (which would connect in
    the guard's place) and from cookies (a receiver's must not travel to another account's endpoint on its
    domain), neither of which urllib3 has. Certificates are checked against certifi's authorities, as
    requests checked them, loaded once for the container into the context the AWS clients share
    (mailhooks.tls)."""
    pools = PoolManager(
        num_pools=BATCH_SIZE,
        maxsize=BATCH_SIZE,
        cert_reqs="CERT_REQUIRED",
        ssl_context=trust_store(certifi.where()),
    )
    pools.pool_classes_by_scheme = {"http": _Pool, "https": _HTTPSPool}
    return pools


# The connections of the container's life, so that they outlast an invocation; created with the module,
# before the threads that share them.
POOLS = _new_pools()
# Only the first bytes of an answer are read, as sent (_read): asking for them uncompressed.
HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}


@dataclass(frozen=True)
class ReceiverAnswer:
    """What the receiver answered one POST (or why none came)."""

    status_code: int | None = None
    # None when delivered (any 2xx).
    error: str | None = None
    retry_after: float | None = None
    # The receiver asked for this message never to be sent again.
    abort: bool = False


def _retry_after(value: str | None) -> float | None:
    """The seconds a Retry-After header asks for: a number of seconds, or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - clock.now()).total_seconds())


def _read(response: BaseHTTPResponse) -> bytes:
    """The answer's first MAX_RESPONSE_BYTES as sent. urllib3 would inflate a gzip or deflate answer whatever
    Accept-Encoding asked for: a few kilobytes a receiver compressed can inflate to gigabytes. An answer read
    to its end gives its connection back to the pool; one cut short closes it."""
    body = b""
    try:
        # A read ends early when the deadline shuts the socket: the next one tells a cut answer from a whole.
        while len(body) < MAX_RESPONSE_BYTES and (
            chunk := response.read(MAX_RESPONSE_BYTES - len(body), decode_content=False)
        ):
            body += chunk
    finally:
        response.close()
        response.release_conn()
    return body


def _answer(response: BaseHTTPResponse, body: bytes) -> ReceiverAnswer:
    code = response.status
    if 200 <= code < 300:
        return ReceiverAnswer(status_code=code)
    error = f"HTTP {code}"
    if location := response.get_redirect_location():
        error += f", to {location} (redirects are not followed)"
    said = body.decode(errors="replace").strip()
    if said:
        error += f": {said}"
    retry_after = _retry_after(response.headers.get("retry-after")) if code in SLOW_DOWN else None
    abort = response.headers.get(ABORT_HEADER, "").strip().lower() == ABORT
    return ReceiverAnswer(
        status_code=code, error=error[:MAX_ERROR_LENGTH], retry_after=retry_after, abort=abort
    )


def _describe(error: HTTPError, expired: bool) -> str:
    limits = settings()
    if expired or isinstance(error, ReadTimeoutError):
        return f"no complete answer within {limits.delivery_timeout:g} s"
    # urllib3's error for a connection refused or a name not found is a kind of connect timeout too.
    if isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError):
        return f"could not connect within {limits.delivery_connect_timeout:g} s"
    # The innermost error says what happened (connection refused, certificate mismatch, ...).
    cause: BaseException = error
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    return f"{type(cause).__name__}: {cause}"[:MAX_ERROR_LENGTH]


def _post(endpoint: ExportEndpoint, message: DeliveryMessage) -> ReceiverAnswer:
    """One attempt: POST the message to the endpoint, signed, and read the answer. Raises InvalidInput,
    having sent nothing, when the endpoint's URL is refused."""
    check_endpoint_url(endpoint.url)
    limits = settings()
    with _Deadline(limits.delivery_timeout) as deadline:
        try:
            response = POOLS.request(
                "POST",
                endpoint.url,
                body=message.body().encode(),
                headers={
                    **HEADERS,
                    **signed_headers(message, endpoint.signing_secrets(clock.now()), int(time.time())),
                },
                timeout=Timeout(connect=limits.delivery_connect_timeout, read=limits.delivery_timeout),
                # Neither followed nor tried again: a retry is the queue's, and logged as an attempt.
                redirect=False,
                retries=False,
                preload_content=False,
                decode_content=False,
            )
            body = _read(response)
        except HTTPError as error:
            return ReceiverAnswer(error=_describe(error, deadline.expired))
    return _answer(response, body)


def timed_attempt(
    endpoint: ExportEndpoint, message: DeliveryMessage, number: int
) -> tuple[DeliveryAttempt, ReceiverAnswer]:
    """Attempt `number` of the message, made now and timed; and the receiver's answer. Raises InvalidInput,
    having sent nothing, when the endpoint's URL is refused."""
    started_at, started = clock.now(), time.monotonic()
    answer = _post(endpoint, message)
    attempt = DeliveryAttempt(
        number=number,
        at=started_at,
        status_code=answer.status_code,
        error=answer.error,
        latency_ms=round((time.monotonic() - started) * 1000),
    )
    return attempt, answer
