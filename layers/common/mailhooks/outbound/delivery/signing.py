"""Standard Webhooks signing: the secret of an export endpoint, and the headers that sign a delivery."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from mailhooks.outbound.delivery_message import DeliveryMessage

SECRET_PREFIX = "whsec_"  # noqa: S105 (what every secret starts with, not one)


def new_secret() -> str:
    """A signing secret for a new export endpoint: 32 random bytes, written the Standard Webhooks way."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(message: DeliveryMessage, secrets: Sequence[str], timestamp: int) -> dict[str, str]:
    """The headers of a delivery signed with each of the secrets: a receiver that verifies with any of them
    accepts it (Standard Webhooks separates signatures with spaces)."""
    body = message.body()
    return {
        "Content-Type": "application/json",
        "webhook-id": message.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            signature(secret, message.webhook_id, timestamp, body) for secret in secrets
        ),
    }
