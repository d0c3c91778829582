"""Accounts and their API keys, as the platform operator creates them (python -m mailhooks)."""

import secrets
from dataclasses import asdict, replace
from typing import Any

from mailhooks.authorizer import KEY_PREFIX, hash_key
from mailhooks.errors import InvalidInput, NotFound
from mailhooks.models import Account, AccountLimits, ApiKey, Plan
from mailhooks.store.accounts import account_records
from mailhooks.store.counters import next_id
from mailhooks.store.inbound_webhooks import inbound_webhook_records


def create_account(name: str, plan: Plan) -> Account:
    account = Account(id=next_id("account"), name=name, plan=plan)
    account_records().put_account(account)
    return account


def _account(account_id: int) -> Account:
    account = account_records().get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} was not found")
    return account


def change_plan(account_id: int, plan: Plan) -> Account:
    changed = replace(_account(account_id), plan=plan)
    if not account_records().change_account(changed, "plan"):
        raise NotFound(f"account {account_id} was not found")
    inbound_webhook_records().carry_account(changed)
    return changed


def change_limits(account_id: int, **changes: Any) -> Account:
    """Set some of the account's limits; a limit set to None is the platform's default again."""
    account = _account(account_id)
    limits = AccountLimits(**{**asdict(account.limits), **changes})
    if limits.problems():
        raise InvalidInput("; ".join(limits.problems()))
    changed = replace(account, limits=limits)
    if not account_records().change_account(changed, "limits"):
        raise NotFound(f"account {account_id} was not found")
    inbound_webhook_records().carry_account(changed)
    return changed


def create_api_key(account_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key of the account, and the key itself: shown this once, stored only as its hash."""
    _account(account_id)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(id=secrets.token_hex(6), account_id=account_id, name=name, prefix=key[:10])
    account_records().put_api_key(api_key, hash_key(key))
    return api_key, key


def api_keys(account_id: int) -> list[ApiKey]:
    _account(account_id)
    return account_records().api_keys(account_id)


def revoke_api_key(account_id: int, key_id: str) -> None:
    if not account_records().delete_api_key(account_id, key_id):
        raise NotFound(f"account {account_id} has no API key {key_id}")
