"""How the admin API recognises an API key: the authorizer's side of accounts."""

import hashlib

from mailhooks.store.accounts import account_records

KEY_PREFIX = "mhk_"


def hash_key(key: str) -> str:
    """Keys are 256 random bits: one unsalted SHA-256 is enough to make a stolen table useless."""
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate(authorization: str | None) -> int | None:
    """The account an `Authorization: Bearer <key>` header stands for; None for a missing or unknown key."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip().startswith(KEY_PREFIX):
        return None
    return account_records().find_api_key(hash_key(key.strip()))
