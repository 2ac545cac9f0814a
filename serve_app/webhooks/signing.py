"""Standard Webhooks signing (https://www.standardwebhooks.com).

A secret is ``whsec_`` + base64 of random bytes; the decoded bytes are the
HMAC-SHA256 key. The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``
and ``webhook-signature`` is ``v1,`` + base64 of the MAC. Standard library only,
so receivers can use it (through verify.py) without the service's dependencies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The base64 MAC (without the ``v1,`` version prefix)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def sign_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{signature(secret, webhook_id, timestamp, body)}",
    }
