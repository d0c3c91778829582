"""Where moto stands in for AWS badly enough to distort what runs on it, the fix, applied to moto in this
process: by the local stack, the tests and the benchmarks alike.

AWS applies each request atomically (a conditional write, an ADD, a receive); moto's backends are not
thread-safe: a receive racing another fails inside moto ("Set changed size during iteration"), and two
conditional writes can both pass their condition. In this process, as on the local stack's server
(devstack.local_aws), moto applies one request at a time, while the callers run concurrently between
requests.

SES's Easy DKIM: a new domain identity gets three DKIM tokens, pending, as SES answers CreateEmailIdentity
(moto answers none). SES verifies a domain once it finds the CNAME records in DNS, which never happens
here: verify_domain does what that would (the local stack's demo domain, the tests' domains).

The other fixes keep moto's behaviour and change only its cost.

moto 5.2's SQS computes every attribute of a queue, which counts all its messages (visible, in flight,
delayed) by asking each message whether it is visible, whenever it reads any one attribute: for each message
it receives (to read the retention period) and each it sends (to read ContentBasedDeduplication). Receiving
from a queue of N messages costs N-fold, and each message's answer builds two datetimes: a test that queues
thousands of deliveries spent most of its time there.
- The retention check reads the retention period alone.
- DeleteMessage looks for the message among those received and not deleted, where it is, before the
  rest; and takes it out of the list in place of copying the others: deleting a batch from a queue of N
  messages cost 20 N look-ups.
- Which messages are visible, in flight or delayed is decided against one reading of the clock, by
  comparing times, in place of two method calls per message.
- SendMessage reads the one attribute it needs, ContentBasedDeduplication, without the counts.
- SQS's clock reads the milliseconds straight from time.time(), which moto's unix_time_millis computes
  through datetimes.

moto 5.2 serializes each answer member by member, and for each member of each value asks six alias
providers which names the value might have it under: for a DynamoDB item, every AttributeValue tries its
ten possible members (S, N, M...) that way, absent ones through all six. An item of twenty attributes cost
thousands of such questions, and answers with items (BatchGetItem, UpdateItem's ALL_NEW) most of their
time. For a value that is a plain dict, the answer depends only on the member's shape and its parent
shape, which botocore keeps for the life of the process: it is asked once per shape and member.

moto 5.2's DynamoDB transactions and queries cost more the larger the table: devstack.moto_dynamodb.

moto 5.2's server finds which service a request is for by listing its own package's directories on disk,
two hundred of them, at each request; and which actions a service answers by listing its handler class's
methods, at each request: each is listed once.
"""

import functools
import itertools
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import moto.backends
import moto.core.responses
import moto.core.serialize
import moto.sqs.models
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.utils import method_names_from_class as _moto_method_names
from moto.core.utils import unix_time_millis
from moto.ses.models import EmailIdentity, ses_backends
from moto.sqs.exceptions import ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend

from devstack import moto_dynamodb


def _within_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_period = int(getattr(self.get_queue(queue_name), "message_retention_period"))  # noqa: B009
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())  # type: ignore[operator]


def _delete_message(self: Queue, receipt_handle: str) -> None:
    if receipt_handle in self.deleted_messages:
        return  # deleted already: SQS accepts it again
    candidates = itertools.chain(self.pending_messages, self._messages)
    message = next((each for each in candidates if each.had_receipt_handle(receipt_handle)), None)
    if message is None:
        raise ReceiptHandleIsInvalid()
    self._messages.remove(message)
    self.pending_messages.discard(message)
    self.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]


def _visible_messages(self: Queue) -> list[Message]:
    now = time.time() * 1000.0
    return [
        message for message in self._messages if message.visible_at < now and message.delayed_until <= now
    ]


def _not_visible_count(self: Queue) -> int:
    now = time.time() * 1000.0
    return sum(message.visible_at >= now for message in self._messages)


def _delayed_count(self: Queue) -> int:
    now = time.time() * 1000.0
    return sum(message.delayed_until > now for message in self._messages)


_queue_attributes = Queue.attributes
_sending = threading.local()


def _attributes(self: Queue) -> dict[str, Any]:
    if getattr(_sending, "message", False):
        deduplication = getattr(self, "content_based_deduplication", False)
        return {"ContentBasedDeduplication": str(deduplication).lower()} if self.fifo_queue else {}
    return _queue_attributes.fget(self)  # type: ignore[attr-defined,no-any-return]


_send_message = SQSBackend.send_message


@functools.wraps(_send_message)
def _send_message_reading_one_attribute(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
    _sending.message = True
    try:
        return _send_message(self, *args, **kwargs)
    finally:
        _sending.message = False


def _unix_time_millis(dt: datetime | None = None) -> float:
    return time.time() * 1000.0 if dt is None else unix_time_millis(dt)


_possible_keys = moto.core.serialize.XFormedAttributePicker.get_possible_keys
# (id of the shape, id of its parent, member name) -> the shape, its parent, and the names to try, in order.
_possible_keys_in_dicts: dict[tuple[int, int, str], tuple[Any, Any, tuple[str, ...]]] = {}


def _possible_keys_once_per_shape(
    self: moto.core.serialize.XFormedAttributePicker, context: moto.core.serialize.AttributePickerContext
) -> Iterable[str]:
    if (
        type(context.obj) is not dict
        or self.alias_providers is not moto.core.serialize.DEFAULT_ALIAS_PROVIDERS
    ):
        return _possible_keys(self, context)
    # A dict has no Meta and its class is always dict: what the providers answer is the shape's.
    shape, key = context.shape, context.key
    parent = getattr(shape, "parent", None)
    known = _possible_keys_in_dicts.get((id(shape), id(parent), key))
    if known is None or known[0] is not shape or known[1] is not parent:
        known = (shape, parent, tuple(_possible_keys(self, context)))
        _possible_keys_in_dicts[(id(shape), id(parent), key)] = known
    return known[2]


_one_request_at_a_time = threading.RLock()
_process_request = BotocoreStubber.process_request


@functools.wraps(_process_request)
def _atomic_process_request(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
    with _one_request_at_a_time:
        return _process_request(self, *args, **kwargs)


_moto_modules = tuple(moto.backends.list_of_moto_modules())


def _listed_moto_modules() -> Iterable[str]:
    return _moto_modules


@functools.cache
def _method_names(handler: type) -> frozenset[str]:
    return frozenset(_moto_method_names(handler))


_moto_email_identity = EmailIdentity.__init__


def _email_identity_with_dkim(self: EmailIdentity, *arguments: Any, **options: Any) -> None:
    _moto_email_identity(self, *arguments, **options)
    if self.identity_type == "DOMAIN" and not self.dkim_attributes["SigningEnabled"]:
        self.dkim_attributes.update(
            SigningEnabled=True, Status="PENDING", Tokens=[secrets.token_hex(16) for _ in range(3)]
        )


def verify_domain(domain: str, account_id: str = "123456789012", region: str = "us-east-1") -> None:
    """What SES does once it finds a domain's DKIM records: the identity becomes verified for sending."""
    identity = ses_backends[account_id][region].email_identities[domain]
    identity.verified_for_sending_status = True
    identity.dkim_attributes["Status"] = "SUCCESS"


def apply() -> None:
    """Apply the fixes (again: it changes nothing)."""
    moto.core.serialize.XFormedAttributePicker.get_possible_keys = _possible_keys_once_per_shape  # type: ignore[method-assign,assignment]
    BotocoreStubber.process_request = _atomic_process_request  # type: ignore[method-assign]
    Queue.delete_message = _delete_message  # type: ignore[method-assign]
    Queue.attributes = property(_attributes)  # type: ignore[assignment,method-assign]
    SQSBackend.send_message = _send_message_reading_one_attribute  # type: ignore[method-assign]
    Queue.messages = property(_visible_messages)  # type: ignore[assignment,method-assign]
    Queue.approximate_number_of_messages_not_visible = property(_not_visible_count)  # type: ignore[assignment,method-assign]
    Queue.approximate_number_of_messages_delayed = property(_delayed_count)  # type: ignore[assignment,method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _within_retention_period  # type: ignore[method-assign]
    setattr(moto.sqs.models, "unix_time_millis", _unix_time_millis)  # noqa: B010
    EmailIdentity.__init__ = _email_identity_with_dkim  # type: ignore[method-assign]
    moto_dynamodb.apply()
    moto.backends.list_of_moto_modules = _listed_moto_modules
    setattr(moto.core.responses, "method_names_from_class", _method_names)  # noqa: B010
