"""Accounts and their API keys, as the platform operator creates them (python -m mailhooks)."""

import secrets

from mailhooks.authorizer import KEY_PREFIX, hash_key
from mailhooks.errors import NotFound
from mailhooks.models import Account, ApiKey, Plan
from mailhooks.store.accounts import account_records
from mailhooks.store.counters import next_id


def create_account(name: str, plan: Plan) -> Account:
    account = Account(id=next_id("account"), name=name, plan=plan)
    account_records().put_account(account)
    return account


def change_plan(account_id: int, plan: Plan) -> Account:
    account = account_records().get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} was not found")
    changed = account.model_copy(update={"plan": plan})
    account_records().put_account(changed)
    return changed


def create_api_key(account_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key of the account, and the key itself: shown this once, stored only as its hash."""
    if account_records().get_account(account_id) is None:
        raise NotFound(f"account {account_id} was not found")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(id=secrets.token_hex(6), account_id=account_id, name=name, prefix=key[:10])
    account_records().put_api_key(api_key, hash_key(key))
    return api_key, key


def api_keys(account_id: int) -> list[ApiKey]:
    if account_records().get_account(account_id) is None:
        raise NotFound(f"account {account_id} was not found")
    return account_records().api_keys(account_id)


def revoke_api_key(account_id: int, key_id: str) -> None:
    if not account_records().delete_api_key(account_id, key_id):
        raise NotFound(f"account {account_id} has no API key {key_id}")
