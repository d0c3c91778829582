"""The owner's side of inbound webhooks: creating and changing them, checking their mappings against the
sample payload, rotating their secret URL, capturing a sample, reading their call log."""

import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from mailhooks import clock
from mailhooks.bodies import ANY, BOOLEAN, ID_SHAPE, TEXT_MAP, body_field, line, nullable, string, whole
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.inbound.mapping import MissingNode, resolve
from mailhooks.inbound.pace import pace_problems
from mailhooks.models import (
    DEFAULT_REPLAY_WINDOW_SECONDS,
    Account,
    InboundCallRecord,
    InboundWebhook,
    MailingList,
)
from mailhooks.store.accounts import account_records
from mailhooks.store.inbound_webhooks import check_sample_size, inbound_webhook_records
from mailhooks.store.lists import list_records

if TYPE_CHECKING:
    from mailhooks.inbound.operations import Operation

# A call is in progress for its whole window (store/idempotency.py): a day at most.
MAX_REPLAY_WINDOW_SECONDS = 24 * 3600


# The operations are imported where they are used: the admin function imports this module, and most of its
# routes never need them.


def operations() -> "dict[str, Operation[Any]]":
    """Every operation, by name."""
    from mailhooks.inbound.operations import all_operations

    return all_operations()


def _operation(name: str) -> "Operation[Any]":
    from mailhooks.inbound.operations import operation_named

    return operation_named(name)


def _known_operation(name: str) -> str:
    from mailhooks.inbound.operations import NAMES

    if name not in NAMES:
        raise ValueError(f"must be one of {', '.join(NAMES)}")
    return name


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    """What an owner sets on an inbound webhook."""

    name: str = body_field(line(1, 200))
    operation: str = body_field(
        string(check=_known_operation), "The operation the webhook runs: see GET /admin/operations."
    )
    sample_payload: Any = body_field(ANY, "A body the calling system sends, to map parameters into.", None)
    mapping: dict[str, str] = body_field(
        TEXT_MAP, "Parameter (or custom field of the list) -> JSON Pointer into the payload.", {}
    )
    list_id: int | None = body_field(nullable(ID_SHAPE), "The list add_subscriber adds to.", None)
    active: bool = body_field(BOOLEAN, "An inactive webhook answers 403 and runs nothing.", True)
    calls_per_second: int | None = body_field(
        nullable(whole()),
        "Calls a second the webhook takes, at most the account's; null: the account's.",
        None,
    )
    burst: int | None = body_field(
        nullable(whole()), "Calls the webhook takes at once above its pace, at most the account's.", None
    )
    replay_window_seconds: int = body_field(
        whole(0, MAX_REPLAY_WINDOW_SECONDS),
        "A call repeating one carried out this many seconds before (the same parameters, or the same "
        "Idempotency-Key or sender's delivery id header) gets its answer again, with Idempotent-Replayed: "
        "true, and runs nothing; 0: every call runs.",
        DEFAULT_REPLAY_WINDOW_SECONDS,
    )


def new_inbound_webhook(
    *,
    account_id: int,
    name: str,
    operation: str,
    mapping: dict[str, str],
    sample_payload: object = None,
    list_id: int | None = None,
    active: bool = True,
    calls_per_second: int | None = None,
    burst: int | None = None,
    replay_window_seconds: int = DEFAULT_REPLAY_WINDOW_SECONDS,
    account: Account | None = None,
    webhook_list: MailingList | None = None,
) -> InboundWebhook:
    """A webhook with a fresh secret URL token: 256 bits from `secrets`, URL-safe; carrying its account and
    list, as its calls read them."""
    return InboundWebhook(
        id=secrets.token_hex(8),
        account_id=account_id,
        token=secrets.token_urlsafe(32),
        name=name,
        operation=operation,
        mapping=mapping,
        sample_payload=sample_payload,
        list_id=list_id,
        active=active,
        calls_per_second=calls_per_second,
        burst=burst,
        replay_window_seconds=replay_window_seconds,
        account=account,
        webhook_list=webhook_list,
    )


def _list_problems(account_id: int, settings: WebhookSettings) -> tuple[MailingList | None, list[str]]:
    operation = _operation(settings.operation)
    if not operation.uses_webhook_list:
        if settings.list_id is not None:
            return None, [f"list_id: {operation.name} uses no list: leave list_id out"]
        return None, []
    if settings.list_id is None:
        return None, [f"list_id: {operation.name} needs the id of the list it adds to"]
    found = list_records().get_list(account_id, settings.list_id)
    return found, [] if found else [f"list_id: list {settings.list_id} was not found"]


def _mapping_problems(webhook_list: MailingList | None, settings: WebhookSettings) -> list[str]:
    """Everything wrong with the mapping, each named: unknown parameters, paths the sample payload does
    not have, and (on an active webhook) required parameters and list fields left unmapped."""
    problems: list[str] = []
    operation = _operation(settings.operation)
    parameters = operation.parameters_of(webhook_list).named()
    for name, pointer in settings.mapping.items():
        if name not in parameters:
            problems.append(
                f"mapping: {name!r} is not a parameter of {operation.name}"
                + (f" nor a custom field of list {webhook_list.id}" if webhook_list else "")
            )
        elif settings.sample_payload is None:
            problems.append(f"mapping: {name!r}: paste or capture a sample payload to map it into")
        else:
            try:
                resolve(settings.sample_payload, pointer, payload="the sample payload")
            except MissingNode as missing:
                problems.append(f"mapping: {name!r}: {missing.message}")
    if settings.active:
        problems += [
            f"mapping: {name!r} is required; map it to a node of the sample payload, or save the "
            "webhook inactive until it is"
            for name, declared in parameters.items()
            if declared.required and name not in settings.mapping
        ]
    return problems


def _checked(account_id: int, settings: WebhookSettings) -> dict[str, Any]:
    """The settings, checked, with the account and the list the webhook's calls need."""
    check_sample_size(settings.sample_payload, "sample_payload")
    webhook_list, problems = _list_problems(account_id, settings)
    problems += _mapping_problems(webhook_list, settings)
    account = account_records().get_account(account_id)
    if account is not None:
        problems += pace_problems(account, settings.calls_per_second, settings.burst)
    if problems:
        raise InvalidInput("; ".join(problems))
    return {**asdict(settings), "account": account, "webhook_list": webhook_list}


def webhook_of(account_id: int, webhook_id: str) -> InboundWebhook:
    """A webhook of the account; another account's answers exactly as a missing one."""
    found = inbound_webhook_records().get_inbound_webhook(account_id, webhook_id)
    if found is None:
        raise NotFound(f"inbound webhook {webhook_id} was not found")
    return found


def create_inbound_webhook(account_id: int, settings: WebhookSettings) -> InboundWebhook:
    webhook = new_inbound_webhook(account_id=account_id, **_checked(account_id, settings))
    inbound_webhook_records().put_inbound_webhook(webhook)
    return webhook


def _save(webhook: InboundWebhook, **changes: Any) -> InboundWebhook:
    changed = replace(webhook, **changes, updated_at=clock.now())
    if not inbound_webhook_records().update_inbound_webhook(changed):
        raise NotFound(f"inbound webhook {webhook.id} was not found")
    return changed


def change_inbound_webhook(account_id: int, webhook_id: str, changes: Mapping[str, Any]) -> InboundWebhook:
    """Change the settings `changes` gives (WebhookSettings' fields, read as a change: bodies.given_fields),
    the others left as they are."""
    webhook = webhook_of(account_id, webhook_id)
    current = {each.name: getattr(webhook, each.name) for each in fields(WebhookSettings)}
    return _save(webhook, **_checked(account_id, WebhookSettings(**(current | dict(changes)))))


def rotate_url(account_id: int, webhook_id: str) -> InboundWebhook:
    """A new secret URL; the old one answers 404 from now on."""
    webhook = webhook_of(account_id, webhook_id)
    token = secrets.token_urlsafe(32)
    if not inbound_webhook_records().rotate_inbound_webhook_token(webhook, token):
        raise NotFound(f"inbound webhook {webhook_id} was not found")
    return webhook_of(account_id, webhook_id)


def listen(account_id: int, webhook_id: str) -> InboundWebhook:
    """Store the next call to the URL as the sample payload, instead of running the operation."""
    return _save(webhook_of(account_id, webhook_id), listening=True)


def delete_inbound_webhook(account_id: int, webhook_id: str) -> None:
    if not inbound_webhook_records().delete_inbound_webhook(account_id, webhook_id):
        raise NotFound(f"inbound webhook {webhook_id} was not found")


def calls_of(account_id: int, webhook_id: str) -> list[InboundCallRecord]:
    return inbound_webhook_records().inbound_calls(webhook_of(account_id, webhook_id).id)
