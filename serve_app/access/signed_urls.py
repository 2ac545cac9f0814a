"""Short-lived signed download links, for clients that cannot send an API key
(an ``<audio>`` tag, a webhook receiver).

A link names one file and an expiry, and carries an HMAC of both under a key
every replica shares; changing the file id or the expiry breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import redis.asyncio as aioredis

from serve_app.config import Settings
from serve_app.store.keys import RedisKeys


class UrlSigner:
    def __init__(self, key: bytes, ttl_s: int):
        self.key = key
        self.ttl_s = ttl_s

    def _mac(self, file_id: str, expires: int) -> str:
        digest = hmac.new(self.key, f"{file_id}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def query(self, file_id: str, now: float | None = None, not_after: float | None = None) -> str:
        """``expires=…&signature=…`` for a link to ``file_id`` valid for the TTL, and no
        later than ``not_after`` (Unix seconds: the file's own expiry)."""
        expires = int((now if now is not None else time.time()) + self.ttl_s)
        if not_after is not None:
            expires = min(expires, int(not_after))
        return f"expires={expires}&signature={self._mac(file_id, expires)}"

    def verify(self, file_id: str, expires: str, signature: str, now: float | None = None) -> bool:
        # Anything can arrive here (non-ASCII included): compare bytes, accept only ASCII digits.
        if not (expires.isascii() and expires.isdigit()) or int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(self._mac(file_id, int(expires)).encode(), signature.encode())


class SigningKey:
    """The key from AUDIOLASSO_URL_SIGNING_KEY, or one made once and kept in
    Redis so that every replica signs and verifies alike."""

    def __init__(self, redis: aioredis.Redis, keys: RedisKeys, settings: Settings):
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self._signer: UrlSigner | None = None

    async def signer(self) -> UrlSigner:
        if self._signer is None:
            key = self.settings.url_signing_key
            if not key:
                await self.redis.set(self.keys.url_signing_key, secrets.token_hex(32), nx=True)
                key = await self.redis.get(self.keys.url_signing_key)
            self._signer = UrlSigner(key.encode(), self.settings.signed_url_ttl_s)
        return self._signer
