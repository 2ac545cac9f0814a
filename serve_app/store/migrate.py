"""Moves keys written by earlier versions into the current layout."""

from __future__ import annotations

import re

import redis.asyncio as aioredis

from serve_app.store.keys import RedisKeys


async def hash_tagged_prefix(redis: aioredis.Redis, keys: RedisKeys) -> int:
    """Rename keys written before the prefix became a hash tag (``al:job:...`` to
    ``{al}:job:...``; RENAME keeps each key's TTL). Returns how many moved. Run only on a
    Redis this service owns (the embedded one): on a shared server the pattern could
    match another application's keys."""
    moved = 0
    async for old in redis.scan_iter(match=re.sub(r"([*?\[\]\\])", r"\\\1", keys.prefix) + ":*", count=1000):
        await redis.rename(old, keys.root + old[len(keys.prefix) :])
        moved += 1
    return moved
