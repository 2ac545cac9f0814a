"""Newest-first pages of one API key's ids (requests or files).

The index is a sorted set whose scores are all 0, so Redis orders it by member:
TypeIDs of UUIDv7 sort by creation time, so a lexical range is a time range and
the last id of a page is the cursor of the next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis

Item = TypeVar("Item")
SCAN_BATCH = 200  # ids read per round trip while a filter drops items


async def page(
    redis: aioredis.Redis,
    key: str,
    newest: str,
    oldest: str,
    limit: int,
    load: Callable[[list[str]], Awaitable[list[Item | None]]],
) -> tuple[list[Item], str | None]:
    """Up to ``limit`` items, newest first, with ids in [oldest, newest] (``newest`` may be an
    exclusive cursor written ``(id``). ``load`` turns ids into items, None for ones to skip
    (gone, or filtered out). Returns the items and the cursor of the next page (None at the end)."""
    items: list[Item] = []
    high = newest if newest.startswith(("(", "[", "+")) else f"[{newest}"
    while len(items) < limit:
        ids = await redis.zrevrangebylex(key, high, f"[{oldest}", start=0, num=SCAN_BATCH)
        if not ids:
            return items, None
        for i, (item_id, item) in enumerate(zip(ids, await load(ids), strict=True)):
            if item is not None:
                items.append(item)
            if len(items) == limit:
                more = i + 1 < len(ids) or len(ids) == SCAN_BATCH
                return items, item_id if more else None
        high = f"({ids[-1]}"
    return items, None
