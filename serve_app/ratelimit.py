"""Per-key request rate limits: a fixed-window counter per key and action in
Redis, shared by every Ingress replica."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from serve_app.errors import RateLimited
from serve_app.redis_keys import RedisKeys

WINDOW_S = 60


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys

    async def hit(self, action: str, owner: str, limit: int) -> None:
        """Count one ``action`` by ``owner``; raise RateLimited past ``limit`` per minute."""
        now = time.time()
        window = int(now // WINDOW_S)
        key = self.keys.rate(action, owner, window)
        async with self.redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(key).expire(key, WINDOW_S * 2).execute()
        if count > limit:
            retry_after = max(1, int((window + 1) * WINDOW_S - now) + 1)
            raise RateLimited(
                f"Too many {action} requests: at most {limit} per minute per API key. "
                f"Retry in {retry_after} s.",
                retry_after_s=retry_after,
            )
