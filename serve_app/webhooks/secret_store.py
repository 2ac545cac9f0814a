"""Each API key's webhook signing secret, created on first use, readable and
rotatable by the key's owner (API) or an operator (CLI)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from serve_app.clock import now_iso
from serve_app.store.keys import RedisKeys
from serve_app.webhooks.signing import new_secret


def _record() -> str:
    return json.dumps({"secret": new_secret(), "created_at": now_iso()})


class WebhookSecrets:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys

    async def get(self, key_id: str) -> dict[str, str]:
        """``{"secret", "created_at"}`` for the key, made now if it has none."""
        key = self.keys.webhook_secret(key_id)
        # SET NX: of two concurrent first uses, one secret wins and both see it.
        await self.redis.set(key, _record(), nx=True)
        return json.loads(await self.redis.get(key))

    async def rotate(self, key_id: str) -> dict[str, str]:
        """Replace the key's secret; deliveries from now on are signed with the new one."""
        record = _record()
        await self.redis.set(self.keys.webhook_secret(key_id), record)
        return json.loads(record)
