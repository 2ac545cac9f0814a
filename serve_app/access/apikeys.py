"""API keys: random secrets stored only as their SHA-256.

A secret has 256 random bits, so an unsalted hash is safe to store, and a
lookup by hash compares no secret bytes in Python (no timing side channel).
"""

from __future__ import annotations

import hashlib
import secrets

import redis.asyncio as aioredis

from serve_app import ids
from serve_app.clock import now_iso
from serve_app.store.keys import RedisKeys

SECRET_PREFIX = "al_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class KeyStore:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys

    async def add(self, secret: str, name: str) -> str:
        """Register ``secret`` (idempotent); returns its key id."""
        digest = hash_secret(secret)
        existing = await self.redis.hget(self.keys.api_key(digest), "key_id")
        if existing:
            return existing
        key_id = ids.new_id("key")
        await self.redis.hset(
            self.keys.api_key(digest), mapping={"key_id": key_id, "name": name, "created_at": now_iso()}
        )
        await self.redis.hset(self.keys.api_key_index, key_id, digest)
        return key_id

    async def create(self, name: str) -> tuple[str, str]:
        """A new key; returns (key id, secret). The secret is shown once, never stored."""
        secret = new_secret()
        return await self.add(secret, name), secret

    async def authenticate(self, secret: str) -> str | None:
        """The key id for ``secret``, or None."""
        return await self.redis.hget(self.keys.api_key(hash_secret(secret)), "key_id")

    async def list(self) -> list[dict[str, str]]:
        out = []
        for digest in (await self.redis.hgetall(self.keys.api_key_index)).values():
            record = await self.redis.hgetall(self.keys.api_key(digest))
            if record:
                out.append(record)
        return sorted(out, key=lambda r: r["created_at"])

    async def exists(self, key_id: str) -> bool:
        return bool(await self.redis.hexists(self.keys.api_key_index, key_id))

    async def revoke(self, key_id: str) -> bool:
        digest = await self.redis.hget(self.keys.api_key_index, key_id)
        if not digest:
            return False
        await self.redis.delete(self.keys.api_key(digest), self.keys.webhook_secret(key_id))
        await self.redis.hdel(self.keys.api_key_index, key_id)
        return True
