"""What every operation is: its parameters and one function that carries it out."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mailhooks.aws import Aws
from mailhooks.errors import InvalidInput, NotFound, OutcomeUnknown, UpstreamFailure
from mailhooks.inbound.parameters import Parameters
from mailhooks.models import Account, ActivityKind, InboundWebhook, MailingList, SendingType
from mailhooks.outbound.activity import ActivityRecord
from mailhooks.settings import Settings
from mailhooks.store.items import Item, Taken
from mailhooks.store.lists import list_records

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

P = TypeVar("P", bound="DataclassInstance")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # The send activity of a message the provider accepted, as JSON: written in the same step that completes
    # the call's idempotency record (store/idempotency.py), never on its own.
    sent: dict[str, Any] | None = None
    # The answer an identical call got within the webhook's window, given again: nothing ran for this one.
    replayed: bool = False


def _no_frame(*_: Any) -> Any:
    raise NotImplementedError("the call an operation runs in sets how it logs, takes and gives back")


@dataclass
class OperationContext:
    """Everything an operation may use besides its parameters, for one inbound call."""

    account: Account
    webhook: InboundWebhook
    aws: Aws
    settings: Settings
    # Where this API is reached, for links put in emails (confirmation, unsubscribe).
    base_url: str
    now: datetime
    # The Put of the call's log entry, as it is answered: an operation that writes its effect in one
    # transaction writes the entry in it, and sets logged once written: the call is logged with its effect.
    log_entry: Callable[[Answer], Item] = _no_frame
    logged: bool = False
    # Set by the call (inbound.replays): take what a send needs, right before it; give back what it took,
    # when the provider refused the send.
    take: Callable[[list[Taken]], None] = _no_frame
    give_back: Callable[[list[Item]], None] = _no_frame
    # What record_send noted, for the answer to carry.
    sent: ActivityRecord | None = None
    _lists: dict[int, MailingList] = field(default_factory=dict)

    @contextmanager
    def sending(self, needs: list[Taken], given_back: list[Item]) -> Iterator[None]:
        """Take what the send needs, with the call's record, right before it; give back what it took when
        the provider refused the send (it reached nobody), never when its outcome is unknown."""
        self.take(needs)
        try:
            yield
        except OutcomeUnknown:
            raise
        except UpstreamFailure:
            self.give_back(given_back)
            raise

    def mailing_list(self, list_id: int) -> MailingList:
        """A list of this account, read once per call; NotFound names it otherwise."""
        if list_id not in self._lists:
            found = list_records().get_list(self.account.id, list_id)
            if found is None:
                raise NotFound(f"list {list_id} was not found")
            self._lists[list_id] = found
        return self._lists[list_id]

    def record_send(self, sending: SendingType, action_id: int, recipient: str) -> None:
        """Note the send activity of a message the provider accepted, written as the call completes."""
        self.sent = ActivityRecord(
            account_id=self.account.id,
            action_id=action_id,
            type_id=sending,
            activity_id=ActivityKind.SEND,
            email=recipient,
            occurred_at=self.now,
        )

    def webhook_list(self) -> MailingList:
        """The webhook's own list, as its item carries it."""
        if self.webhook.list_id is None:
            raise InvalidInput("this webhook has no list; set its list_id")
        if self.webhook.webhook_list is not None and self.webhook.webhook_list.id == self.webhook.list_id:
            return self.webhook.webhook_list
        return self.mailing_list(self.webhook.list_id)


@dataclass(frozen=True)
class Operation(Generic[P]):
    name: str
    summary: str
    parameters: Parameters[P]
    run: Callable[[P, OperationContext], Answer]
    # An operation on the webhook's own list (add-subscriber), whose parameters include the list's custom
    # fields: the webhook must name its list.
    parameters_for_list: Callable[[MailingList], Parameters[P]] | None = None

    @property
    def uses_webhook_list(self) -> bool:
        return self.parameters_for_list is not None

    def parameters_of(self, webhook_list: MailingList | None) -> Parameters[P]:
        """The parameters of one webhook: with the custom fields of its list where the operation uses it."""
        if self.parameters_for_list is None or webhook_list is None:
            return self.parameters
        return self.parameters_for_list(webhook_list)
