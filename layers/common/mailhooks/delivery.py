"""Delivery: POST each message of the delivery queue to its export endpoint, signed, and retry it on the
schedule until it is delivered or given up.

- Signing follows Standard Webhooks: webhook-signature is an HMAC-SHA256 of "<id>.<timestamp>.<body>" under
  the endpoint's secret, which receivers check with any Standard Webhooks library.
- The SSRF guard: an endpoint's URL is https, and its host leads only to public addresses. Each connection
  resolves its host once, checks every address, and connects to the address it checked, while TLS checks
  the certificate against the name: DNS rebinding gets no second lookup to answer differently.
- A batch is POSTed concurrently, over one pool of connections kept for the life of the container.
- Each endpoint's health (mailhooks.health) gates its messages: an open circuit breaker parks them unsent
  (mailhooks.parking), a throttle makes them wait, a disabled endpoint's are failed unsent (recoverable).
- The retry schedule counts the attempts of the delivery's current round, as its log keeps them, not the
  message's receipts: waiting for a throttle, an open breaker or another copy costs no attempt. A failed
  attempt waits on the message's own visibility timeout; after the last one the message goes to the
  dead-letter queue, with its last error. A receiver ends a message's retries with the answer header
  webhook-delivery: abort-message (logged as aborted). A message that must wait after many receipts waits
  as a new copy, so that SQS's redrive limit never moves it to the dead-letter queue unlogged.
"""

import base64
import hashlib
import heapq
import hmac
import ipaddress
import itertools
import math
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import StrEnum
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError
from urllib3.util.connection import allowed_gai_family

from mailhooks import health, parking
from mailhooks.aws import aws
from mailhooks.delivery_message import DeliveryMessage
from mailhooks.errors import InvalidInput
from mailhooks.health import LEASE, Admission, Answered, Gate
from mailhooks.models import ExportEndpoint
from mailhooks.settings import settings
from mailhooks.store import (
    Delivery,
    DeliveryAttempt,
    DeliveryLog,
    DeliveryStatus,
    EndpointKey,
    delivery_log,
    store,
)

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef, SendMessageBatchRequestEntryTypeDef

logger = Logger(child=True)

SECRET_PREFIX = "whsec_"  # noqa: S105 (what every secret starts with, not one)
USER_AGENT = "mailhooks/1.0 (+webhooks)"
# The largest batch the queue's event source hands over (template.yaml): the most POSTs at once.
BATCH_SIZE = 10
MAX_RESPONSE_BYTES = 64 * 1024
MAX_ERROR_LENGTH = 500
JITTER = 0.2
REFUSED = "export endpoints must be on the public internet"
# The message attribute that counts a message's waits for its endpoint's throttle.
THROTTLE_WAITS = "throttle_waits"
# A message received this many times that must wait again waits as a new copy, whose receive count starts
# again: well below the delivery queue's maxReceiveCount (template.yaml), past which SQS would move it to
# the dead-letter queue unlogged. Waits that cost no attempt (for another copy, say) can add up to it.
RECEIVES_BEFORE_COPY = 10
# The answer header by which a receiver ends the retries of the message it answers.
ABORT_HEADER = "webhook-delivery"
ABORT = "abort-message"


# Signing


def new_secret() -> str:
    """A signing secret for a new export endpoint: 32 random bytes, written the Standard Webhooks way."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(message: DeliveryMessage, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "webhook-id": message.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message.webhook_id, timestamp, message.body()),
    }


# The SSRF guard

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REFUSED_KINDS = (
    ("is_unspecified", "an unspecified"),
    ("is_loopback", "a loopback"),
    ("is_link_local", "a link-local"),
    ("is_multicast", "a multicast"),
    ("is_private", "a private"),
    ("is_reserved", "a reserved"),
)


def _refused_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of address a delivery must not reach this is, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        # These IPv6 forms reach the IPv4 address they carry: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _refused_kind(embedded)
    for attribute, kind in _REFUSED_KINDS:
        if getattr(address, attribute):
            return kind
    return None if address.is_global else "a non-public"


def _check_addresses(host: str, addresses: Sequence[str]) -> None:
    for text in addresses:
        kind = _refused_kind(ipaddress.ip_address(text))
        if kind is not None:
            where = text if text == host else f"{host} resolves to {text}, which"
            raise InvalidInput(f"{where} is {kind} address: {REFUSED}")


def check_endpoint_url(url: str) -> None:
    """Refuse, saying why, a URL an export endpoint must not have: one that is not https, or whose host is a
    loopback, private, link-local or otherwise non-public address. A host name is resolved and checked at
    each delivery, since what it resolves to can change."""
    parts = urlsplit(url)
    local = settings().allow_local_endpoints
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise InvalidInput(f"an export endpoint's URL must start with https://; {url[:100]!r} does not")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as error:
        raise InvalidInput("the URL's port must be a number from 1 to 65535") from error
    if not host:
        raise InvalidInput("the URL has no host")
    if local:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidInput(f"{host} is this machine (loopback): {REFUSED}")
    try:
        # An address in any notation the resolver reads (127.1, 2130706433, [::1]), without a DNS lookup.
        numeric = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return
    _check_addresses(host, [str(answer[4][0]) for answer in numeric])


def _checked_address(host: str, port: int) -> str:
    """Resolve the host, once, and check every address it has: the address to connect to."""
    answers = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    addresses = [str(answer[4][0]) for answer in answers]
    if not settings().allow_local_endpoints:
        _check_addresses(host, addresses)
    return addresses[0]


# HTTP: pinned connections, and a deadline over each POST as a whole


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
            address = _checked_address(name, self.port or self.default_port)
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


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _HTTPSPool}


def _new_session() -> requests.Session:
    session = requests.Session()
    # No proxy from the environment (it would connect in the guard's place), and no cookies: a receiver's
    # cookie must not travel to another account's endpoint on its domain.
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # Only the first bytes of an answer are read: as sent, not as they decompress.
    session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    adapter = _GuardedAdapter(pool_connections=BATCH_SIZE, pool_maxsize=BATCH_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# One session for the life of the container, so that its connections outlast an invocation; created with
# the module, before the threads that share it.
SESSION = _new_session()
# The threads that POST a batch's messages at once, kept, like the session, for the container's life: one
# pool per thread that invokes deliver_batch, which Lambda does from one thread per container.
_invoker = threading.local()


def _workers() -> ThreadPoolExecutor:
    pool: ThreadPoolExecutor | None = getattr(_invoker, "workers", None)
    if pool is None:
        pool = _invoker.workers = ThreadPoolExecutor(max_workers=BATCH_SIZE, thread_name_prefix="delivery")
    return pool


@dataclass(frozen=True)
class Answer:
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
    return max(0.0, (moment - health.now()).total_seconds())


def _read(response: requests.Response) -> bytes:
    body = b""
    for chunk in response.iter_content(MAX_RESPONSE_BYTES):
        body += chunk
        if len(body) >= MAX_RESPONSE_BYTES:
            break
    return body[:MAX_RESPONSE_BYTES]


def _answer(response: requests.Response, body: bytes) -> Answer:
    code = response.status_code
    if 200 <= code < 300:
        return Answer(status_code=code)
    error = f"HTTP {code}"
    if response.is_redirect:
        error += f", to {response.headers['location']} (redirects are not followed)"
    said = body.decode(errors="replace").strip()
    if said:
        error += f": {said}"
    retry_after = _retry_after(response.headers.get("retry-after")) if code in health.SLOW_DOWN else None
    abort = response.headers.get(ABORT_HEADER, "").strip().lower() == ABORT
    return Answer(status_code=code, error=error[:MAX_ERROR_LENGTH], retry_after=retry_after, abort=abort)


def _describe(error: requests.RequestException, expired: bool) -> str:
    limits = settings()
    if expired or isinstance(error, requests.ReadTimeout):
        return f"no complete answer within {limits.delivery_timeout:g} s"
    if isinstance(error, requests.ConnectTimeout):
        return f"could not connect within {limits.delivery_connect_timeout:g} s"
    # The innermost error says what happened (connection refused, certificate mismatch, ...).
    cause: BaseException = error
    while (inner := cause.__cause__ or cause.__context__) is not None:
        cause = inner
    return f"{type(cause).__name__}: {cause}"[:MAX_ERROR_LENGTH]


def _post(endpoint: ExportEndpoint, message: DeliveryMessage) -> Answer:
    """One attempt: POST the message to the endpoint, signed, and read the answer. Raises InvalidInput,
    having sent nothing, when the endpoint's URL is refused."""
    check_endpoint_url(endpoint.url)
    limits = settings()
    with _Deadline(limits.delivery_timeout) as deadline:
        try:
            with SESSION.post(
                endpoint.url,
                data=message.body().encode(),
                headers=signed_headers(message, endpoint.secret, int(time.time())),
                timeout=(limits.delivery_connect_timeout, limits.delivery_timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                body = _read(response)
        except requests.RequestException as error:
            return Answer(error=_describe(error, deadline.expired))
    return _answer(response, body)


def timed_attempt(
    endpoint: ExportEndpoint, message: DeliveryMessage, number: int
) -> tuple[DeliveryAttempt, Answer]:
    """Attempt `number` of the message, made now and timed; and the receiver's answer. Raises InvalidInput,
    having sent nothing, when the endpoint's URL is refused."""
    started_at, started = health.now(), time.monotonic()
    answer = _post(endpoint, message)
    attempt = DeliveryAttempt(
        number=number,
        at=started_at,
        status_code=answer.status_code,
        error=answer.error,
        latency_ms=round((time.monotonic() - started) * 1000),
    )
    return attempt, answer


# Retries


def retry_wait(attempt: int, retry_after: float | None = None) -> int | None:
    """Seconds to wait after a failed attempt (numbered from 1 in its round) before the next, or None after
    the last."""
    schedule = settings().delivery_retry_schedule
    if attempt > len(schedule):
        return None
    spread = random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (spreads retries out; guards nothing)
    return min(health.MAX_HOLD_SECONDS, math.ceil(max(schedule[attempt - 1] * spread, retry_after or 0)))


# Batches


@dataclass(frozen=True)
class QueuedMessage:
    """A message of the delivery queue, as one receipt of it hands it over."""

    message_id: str
    receipt_handle: str
    # Its receive count: 1 at the first attempt.
    attempt: int
    body: str
    # How many times it (as earlier copies) waited for its endpoint's throttle.
    throttle_waits: int = 0

    @classmethod
    def of(cls, record: SQSRecord) -> "QueuedMessage":
        """The message as Lambda's SQS event hands it over."""
        waits = record.message_attributes.get(THROTTLE_WAITS)
        return cls(
            message_id=record.message_id,
            receipt_handle=record.receipt_handle,
            attempt=int(record.attributes.approximate_receive_count),
            body=record.body,
            throttle_waits=int(waits.string_value or 0) if waits else 0,
        )


class Result(StrEnum):
    DELIVERED = "delivered"
    # Delivered before: not POSTed again.
    DUPLICATE = "duplicate"
    DROPPED = "dropped"
    ABORTED = "aborted"
    # Back on the queue after its wait.
    RETRYING = "retrying"
    # Not sent, its endpoint's circuit breaker being open: parked, off the queue.
    PARKED = "parked"
    # Over its endpoint's throttle: queued again as a new copy, after a delay.
    THROTTLED = "throttled"
    # Given up after the last attempt, and in the dead-letter queue.
    FAILED = "failed"
    # The deliverer itself failed: back on the queue after its visibility timeout.
    ERROR = "error"


_STATUS: dict[Result, DeliveryStatus] = {
    Result.DELIVERED: "delivered",
    Result.DROPPED: "dropped",
    Result.ABORTED: "aborted",
    Result.RETRYING: "pending",
    Result.FAILED: "failed",
}


@dataclass(frozen=True)
class Outcome:
    queued: QueuedMessage
    result: Result
    message: DeliveryMessage | None = None
    status_code: int | None = None
    error: str | None = None
    # Seconds before the next attempt.
    wait: int | None = None
    # Waits as a new copy of the message, delayed: this one is done with.
    copied: bool = False
    # The attempts made of the delivery, as its log counts them (None when it has no log).
    attempts: int | None = None

    @property
    def redelivered(self) -> bool:
        """Whether the message stays on the queue (a batch item failure) for another attempt."""
        return self.result in (Result.RETRYING, Result.ERROR) and not self.copied

    @property
    def waits_as_copy(self) -> bool:
        """Whether the message waits as a new copy: over its endpoint's throttle, or received so often that
        its receive count nears the queue's redrive limit."""
        waits = self.redelivered and self.wait is not None
        return self.result is Result.THROTTLED or (waits and self.queued.attempt >= RECEIVES_BEFORE_COPY)


def _claim(log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage) -> Delivery | Outcome:
    """The delivery, its lease taken; or the outcome of a copy that must not be attempted now."""
    at = health.now()
    claimed = log.claim(Delivery(**message.model_dump(), created_at=at, updated_at=at), LEASE)
    if claimed == "delivered":
        return Outcome(queued, Result.DUPLICATE, message)
    if claimed == "in flight":
        error = "another copy of this delivery is being attempted"
        return Outcome(queued, Result.RETRYING, message, error=error, wait=int(LEASE.total_seconds()))
    return claimed


def _conclude(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage,
    claimed: Delivery,
    attempt: DeliveryAttempt,
    result: Result,
    wait: int | None = None,
) -> Outcome:
    """Log the attempt, and the delivery as it leaves it (which gives its lease back)."""
    after = {
        "status": _STATUS[result],
        "attempt_count": attempt.number,
        "last_status_code": attempt.status_code,
        "last_error": attempt.error,
        "updated_at": health.now(),
    }
    log.record(claimed.model_copy(update=after), attempt)
    return Outcome(queued, result, message, attempt.status_code, attempt.error, wait, attempts=attempt.number)


def _retried(
    claimed: Delivery, attempt: DeliveryAttempt, retry_after: float | None, retrying: Result
) -> tuple[Result, int | None]:
    """`retrying` and the wait before the next attempt; or FAILED after the last attempt of the round."""
    wait = retry_wait(attempt.number - claimed.round_start, retry_after)
    return (Result.FAILED, None) if wait is None else (retrying, wait)


def _unsendable(
    log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage, gate: Gate | None
) -> Outcome:
    """A message whose endpoint was deleted or switched off is dropped; one whose endpoint was disabled for
    failing is failed, unsent, to be recovered with the others."""
    claimed = _claim(log, queued, message)
    if isinstance(claimed, Outcome):
        return claimed
    if gate is not None and gate.disabled:
        reason = f"not sent: the endpoint was disabled, as {gate.health.disabled_reason}"
        result = Result.FAILED
    else:
        reason = "the endpoint was deleted" if gate is None else "the endpoint is switched off"
        result = Result.DROPPED
    update = {"status": _STATUS[result], "last_error": reason, "updated_at": health.now()}
    log.record(claimed.model_copy(update=update))
    return Outcome(queued, result, message, error=reason, attempts=claimed.attempt_count)


def _park(queued: QueuedMessage, message: DeliveryMessage, gate: Gate) -> Outcome:
    """A message not sent, its endpoint's breaker being open: parked with the batch's others to its endpoint
    (_write_parked), costing no attempt, and off the queue, where it would take a healthy delivery's place."""
    gate.park(message)
    after = gate.health.last_error or "failures"
    reason = f"not sent: the endpoint's circuit breaker is open, after {after}"[:MAX_ERROR_LENGTH]
    return Outcome(queued, Result.PARKED, message, error=reason)


def _attempt(
    log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage, gate: Gate, probe: bool
) -> Outcome:
    claimed = _claim(log, queued, message)
    if isinstance(claimed, Outcome):
        return claimed
    number = claimed.attempt_count + 1
    try:
        attempt, answer = timed_attempt(gate.endpoint, message, number)
    except InvalidInput as refusal:
        error = f"refused, nothing sent: {refusal.message}"
        attempt = DeliveryAttempt(number=number, at=health.now(), error=error, latency_ms=0)
        return _conclude(log, queued, message, claimed, attempt, Result.ABORTED)
    if answer.error is None:
        result, wait = Result.DELIVERED, None
    elif answer.abort:
        result, wait = Result.ABORTED, None
    elif answer.status_code == health.GONE:
        result, wait = Result.FAILED, None
    else:
        result, wait = _retried(claimed, attempt, answer.retry_after, Result.RETRYING)
    # A receiver that asks for fewer requests gets none until this message's own next try.
    hold = (wait or math.ceil(answer.retry_after or 0)) if answer.status_code in health.SLOW_DOWN else None
    gate.answered(
        Answered(
            status_code=answer.status_code,
            ok=answer.error is None or answer.abort,
            error=answer.error,
            hold=hold,
            probe=probe,
        )
    )
    return _conclude(log, queued, message, claimed, attempt, result, wait)


def _deliver(log: DeliveryLog, queued: QueuedMessage, message: DeliveryMessage, gate: Gate | None) -> Outcome:
    if gate is None or gate.disabled or not gate.endpoint.active:
        return _unsendable(log, queued, message, gate)
    admission = gate.admit()
    if admission is Admission.PARK:
        return _park(queued, message, gate)
    with health.throttle(gate.endpoint) as admitted:
        if not admitted:
            return Outcome(
                queued, Result.THROTTLED, message, wait=health.throttle_wait(queued.throttle_waits)
            )
        return _attempt(log, queued, message, gate, admission is Admission.PROBE)


def _deliver_one(
    log: DeliveryLog,
    queued: QueuedMessage,
    message: DeliveryMessage | ValidationError,
    gates: dict[EndpointKey, Gate],
) -> Outcome:
    if isinstance(message, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'body'}: {problem['msg']}"
            for problem in message.errors()
        )
        return Outcome(queued, Result.FAILED, error=f"not a delivery message: {problems}"[:MAX_ERROR_LENGTH])
    try:
        return _deliver(log, queued, message, gates.get((message.account_id, message.endpoint_id)))
    except Exception:
        # One message's trouble (a throttled table, say) must not fail the others of its batch.
        logger.exception("delivery could not be attempted", extra={"webhook_id": message.webhook_id})
        return Outcome(queued, Result.ERROR, message)


def _parsed(body: str) -> DeliveryMessage | ValidationError:
    try:
        return DeliveryMessage.model_validate_json(body)
    except ValidationError as error:
        return error


def _dead_letter(entry_id: str, outcome: Outcome) -> "SendMessageBatchRequestEntryTypeDef":
    """The message as it was queued, so that the dead-letter queue's redrive can send it back for another
    round, with why it failed in its attributes."""
    attributes: dict[str, MessageAttributeValueTypeDef] = {
        "error": {"DataType": "String", "StringValue": outcome.error or "unknown"},
        # As the log counts them: a receipt that died before its attempt is none.
        "attempts": {"DataType": "Number", "StringValue": str(outcome.attempts or 0)},
        "failed_at": {"DataType": "String", "StringValue": health.now().isoformat()},
    }
    if outcome.status_code is not None:
        attributes["status_code"] = {"DataType": "Number", "StringValue": str(outcome.status_code)}
    return {"Id": entry_id, "MessageBody": outcome.queued.body, "MessageAttributes": attributes}


def _copy(entry_id: str, outcome: Outcome) -> "SendMessageBatchRequestEntryTypeDef":
    """A new copy of the message, delayed by its wait as far as SQS delays: a new copy's receive count starts
    again, so that waiting never runs into the queue's redrive policy. A throttled copy counts one more wait
    for the throttle."""
    waits = outcome.queued.throttle_waits + (outcome.result is Result.THROTTLED)
    return {
        "Id": entry_id,
        "MessageBody": outcome.queued.body,
        "DelaySeconds": min(health.MAX_DELAY_SECONDS, outcome.wait or 0),
        "MessageAttributes": {THROTTLE_WAITS: {"DataType": "Number", "StringValue": str(waits)}},
    }


def _send(
    queue_url: str,
    outcomes: list[Outcome],
    entry: Callable[[str, Outcome], "SendMessageBatchRequestEntryTypeDef"],
) -> set[str]:
    """Send a message for each outcome: the ids of the queued messages whose message could not be sent."""
    if not outcomes:
        return set()
    answer = aws().sqs.send_message_batch(
        QueueUrl=queue_url, Entries=[entry(str(index), outcome) for index, outcome in enumerate(outcomes)]
    )
    return {outcomes[int(failure["Id"])].queued.message_id for failure in answer.get("Failed", [])}


def _settle(outcomes: list[Outcome]) -> list[Outcome]:
    """Hold each message that waits back for its wait, or queue a delayed copy of it (each throttled one,
    and those received often), and move each given-up one to the dead-letter queue; one that could not be
    queued or moved stays on the queue, to be settled at its next receipt."""
    outcomes = [replace(outcome, copied=True) if outcome.waits_as_copy else outcome for outcome in outcomes]
    waiting = [outcome for outcome in outcomes if outcome.redelivered and outcome.wait is not None]
    if waiting:
        answer = aws().sqs.change_message_visibility_batch(
            QueueUrl=settings().delivery_queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": outcome.queued.receipt_handle, "VisibilityTimeout": wait}
                for index, outcome in enumerate(waiting)
                if (wait := outcome.wait) is not None
            ],
        )
        for failure in answer.get("Failed", []):
            logger.warning(
                "the wait before a retry could not be set: the message comes back after the queue's timeout",
                extra={"message_id": waiting[int(failure["Id"])].queued.message_id, "reason": failure},
            )
    limits = settings()
    unsent = _send(
        limits.delivery_queue_url, [outcome for outcome in outcomes if outcome.copied], _copy
    ) | _send(
        limits.delivery_dead_letter_queue_url,
        [outcome for outcome in outcomes if outcome.result is Result.FAILED],
        _dead_letter,
    )
    return [
        replace(outcome, result=Result.ERROR, copied=False)
        if outcome.queued.message_id in unsent
        else outcome
        for outcome in outcomes
    ]


def _write_parked(gates: dict[EndpointKey, Gate], outcomes: list[Outcome]) -> list[Outcome]:
    """Park each endpoint's parked messages in one write; those that could not be stay on the queue, to be
    parked at their next receipt."""
    unwritten: set[EndpointKey] = set()
    for key, gate in gates.items():
        if gate.parked:
            try:
                parking.park(key, gate.parked, gate.at)
            except Exception:
                logger.exception("deliveries could not be parked", extra={"endpoint_id": gate.endpoint.id})
                unwritten.add(key)
    return [
        replace(outcome, result=Result.ERROR)
        if outcome.result is Result.PARKED
        and outcome.message is not None
        and (outcome.message.account_id, outcome.message.endpoint_id) in unwritten
        else outcome
        for outcome in outcomes
    ]


def _log(outcome: Outcome) -> None:
    details = {
        "message_id": outcome.queued.message_id,
        "attempt": outcome.queued.attempt,
        "status_code": outcome.status_code,
        "error": outcome.error,
        "wait_seconds": outcome.wait,
    }
    if outcome.message is not None:
        details.update(webhook_id=outcome.message.webhook_id, endpoint_id=outcome.message.endpoint_id)
    text = f"delivery {outcome.result}"
    if outcome.result in (Result.FAILED, Result.ABORTED, Result.ERROR):
        logger.warning(text, extra=details)
    else:
        logger.info(text, extra=details)


def deliver_batch(batch: Sequence[QueuedMessage]) -> list[Outcome]:
    """Deliver the messages of one SQS batch, all at once: the outcome of each, in order. Those that are
    `redelivered` are the batch's item failures."""
    messages = [_parsed(queued.body) for queued in batch]
    keys = [
        (message.account_id, message.endpoint_id)
        for message in messages
        if isinstance(message, DeliveryMessage)
    ]
    # Read once per endpoint, when the message is delivered: what its owner saved applies to queued ones.
    endpoints = store().export_endpoints_by_key(keys)
    gates = health.gates(endpoints, health.now())
    log = delivery_log()
    outcomes = list(
        _workers().map(lambda queued, message: _deliver_one(log, queued, message, gates), batch, messages)
    )
    outcomes = _write_parked(gates, outcomes)
    health.report(gates.values())
    outcomes = _settle(outcomes)
    for outcome in outcomes:
        _log(outcome)
    return outcomes
