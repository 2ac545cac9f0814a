"""Per-key request rate limits, shared by every Ingress replica.

A sliding-window estimate over two fixed one-minute counters in Redis: the
requests of the current minute plus the previous minute's, weighted by how
much of it is still inside the last 60 s. Unlike one fixed window it does not
forget a burst at the turn of the minute.
"""

from __future__ import annotations

import math
import time

import redis.asyncio as aioredis

from serve_app.errors import RateLimited
from serve_app.store.keys import RedisKeys

WINDOW_S = 60


def estimated_count(previous: int, current: int, elapsed: float) -> float:
    """Requests in the last minute; ``elapsed`` is the fraction of the current window gone by."""
    return previous * (1.0 - elapsed) + current


def retry_after_s(previous: int, current: int, elapsed: float, limit: int) -> int:
    """Whole seconds until one more request fits under ``limit``, if no other comes."""
    room = limit - 1  # what may be counted before the retried request
    if current <= room and previous > 0:
        # Within this window, once enough of the previous one has slid out.
        wait = 1.0 - (room - current) / previous - elapsed
    else:
        # In the next window, once enough of this one has slid out.
        wait = 1.0 - elapsed + max(0.0, 1.0 - room / current)
    return max(1, math.ceil(wait * WINDOW_S))


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys

    async def hit(self, action: str, owner: str, limit: int) -> None:
        """Count one ``action`` by ``owner``; raise RateLimited past ``limit`` per minute."""
        now = time.time()
        window, elapsed = divmod(now / WINDOW_S, 1.0)
        key = self.keys.rate(action, owner, int(window))
        async with self.redis.pipeline(transaction=True) as pipe:
            previous, current, _ = await (
                pipe.get(self.keys.rate(action, owner, int(window) - 1)).incr(key).expire(key, WINDOW_S * 2).execute()
            )
        previous = int(previous or 0)
        if estimated_count(previous, current, elapsed) > limit:
            wait = retry_after_s(previous, current, elapsed, limit)
            raise RateLimited(
                f"Too many {action} requests: at most {limit} per minute per API key. Retry in {wait} s.",
                retry_after_s=wait,
            )
