"""Idempotency keys: a client that retries a submit or an upload after a timeout
sends the same ``Idempotency-Key`` header and gets the original answer (the same
``request_id`` or ``file_id``), not a second job or file.

A key is bound, per API key and per route, to a fingerprint of the request (its
canonical JSON body, or the uploaded bytes and name) and to the id the request
creates, for 24 hours. The id is bound before the object is created, so two
concurrent requests with one key create one object: the loser of the race finds
it already there and answers as a replay.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import redis.asyncio as aioredis

from serve_app.errors import ErrorType, ServiceError
from serve_app.store.keys import RedisKeys

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"  # "true" on an answer given again for a key seen before
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, as Stripe's: UUIDs and the like
TTL_S = 24 * 3600

Action = Literal["submit", "upload"]


def fingerprint(*parts: Any) -> str:
    """A digest of what makes two requests the same (JSON-able parts, or bytes digests)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class IdempotencyKeys:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys

    def _key(self, owner: str, action: Action, key: str) -> str:
        return self.keys.idempotency(owner, action, hashlib.sha256(key.encode()).hexdigest())

    async def recall(self, owner: str, action: Action, key: str, request_fingerprint: str) -> str | None:
        """The id this key was bound to, or None when unused. A key used for a different
        request is refused: reusing it would silently answer for the wrong one."""
        raw = await self.redis.get(self._key(owner, action, key))
        if raw is None:
            return None
        bound = json.loads(raw)
        if bound["fingerprint"] != request_fingerprint:
            raise ServiceError(
                f"This {HEADER} was already used for a different request in the last 24 hours; "
                "send a new key for a new request (the same key only to retry the same one).",
                type=ErrorType.IDEMPOTENCY_KEY_REUSED,
                field=HEADER,
                status_code=422,
            )
        return bound["id"]

    async def bind(self, owner: str, action: Action, key: str, request_fingerprint: str, new_id: str) -> str:
        """Bind the key to ``new_id`` unless it is bound already; the id to create: ``new_id``,
        or the one a concurrent request with this key bound first."""
        bound = json.dumps({"fingerprint": request_fingerprint, "id": new_id})
        if await self.redis.set(self._key(owner, action, key), bound, nx=True, ex=TTL_S):
            return new_id
        return await self.recall(owner, action, key, request_fingerprint) or new_id
