"""Accounts and their API keys: what the platform operator creates, and how the admin API recognises a key."""

import hashlib
import secrets

from mailhooks.errors import NotFound
from mailhooks.models import Account, ApiKey, Plan
from mailhooks.store import store

KEY_PREFIX = "mhk_"


def hash_key(key: str) -> str:
    """Keys are 256 random bits: one unsalted SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_account(name: str, plan: Plan) -> Account:
    account = Account(id=store().next_id("account"), name=name, plan=plan)
    store().put_account(account)
    return account


def change_plan(account_id: int, plan: Plan) -> Account:
    account = store().get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} was not found")
    changed = account.model_copy(update={"plan": plan})
    store().put_account(changed)
    return changed


def create_api_key(account_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key of the account, and the key itself: shown this once, stored only as its hash."""
    if store().get_account(account_id) is None:
        raise NotFound(f"account {account_id} was not found")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(id=secrets.token_hex(6), account_id=account_id, name=name, prefix=key[:10])
    store().put_api_key(api_key, hash_key(key))
    return api_key, key


def api_keys(account_id: int) -> list[ApiKey]:
    if store().get_account(account_id) is None:
        raise NotFound(f"account {account_id} was not found")
    return store().api_keys(account_id)


def revoke_api_key(account_id: int, key_id: str) -> None:
    if not store().delete_api_key(account_id, key_id):
        raise NotFound(f"account {account_id} has no API key {key_id}")


def authenticate(authorization: str | None) -> int | None:
    """The account an `Authorization: Bearer <key>` header stands for; None for a missing or unknown key."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip().startswith(KEY_PREFIX):
        return None
    return store().find_api_key(hash_key(key.strip()))
