"""The webhook outbox: one delivery per job with a ``webhookUrl``, in Redis.

A delivery is enqueued by the same Lua script that moves its job to a terminal
state (``serve_app/store/lua/lib/enqueue_webhook.lua``, in the job scripts), so a
finished job never lacks its webhook and a job that did not finish never has one. Due deliveries
sit in a sorted set scored by the time of their next attempt. A sender claims
one by pushing its score to a lease deadline: two senders never make the same
attempt, and an attempt whose sender died is due again when the lease runs out.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis
from pydantic import BaseModel

from serve_app.store import scripts
from serve_app.store.keys import RedisKeys

DeliveryState = Literal["pending", "delivered", "failed"]


class Delivery(BaseModel):
    """A job's webhook delivery as stored."""

    request_id: str
    webhook_id: str
    owner: str
    url: str
    state: DeliveryState
    attempts: int
    attempt_log: list[dict[str, Any]]
    next_attempt_ms: int | None = None
    body: str | None = None  # fixed at the first attempt, so every attempt sends the same bytes

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> Delivery:
        fields: dict[str, Any] = {k: v for k, v in data.items() if v != ""}
        # cjson writes an empty Lua table as {}, never [].
        fields["attempt_log"] = json.loads(fields["attempt_log"]) or []
        return cls.model_validate(fields)


@dataclass(frozen=True)
class DeliveryClaim:
    request_id: str
    token: str
    attempt: int


class Outbox:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys
        self._claim = scripts.register(redis, "webhook_claim")
        self._complete = scripts.register(redis, "webhook_complete")

    async def get(self, request_id: str) -> Delivery | None:
        data = await self.redis.hgetall(self.keys.webhook(request_id))
        return Delivery.from_hash(data) if data else None

    async def require(self, request_id: str) -> Delivery:
        """A claimed delivery (it exists: the claim found it)."""
        delivery = await self.get(request_id)
        if delivery is None:
            raise KeyError(f"no webhook delivery for {request_id}")
        return delivery

    async def claim(self, lease_s: float, max_attempts: int, now: str) -> DeliveryClaim | None:
        """Lease the next due delivery for one attempt; None when nothing is due.
        ``now`` (ISO) is recorded as the attempt's time should its sender die."""
        token = secrets.token_hex(16)
        out = await self._claim(
            keys=[self.keys.webhooks_due],
            args=[self.keys.webhook_prefix, int(lease_s * 1000), token, max_attempts, now],
        )
        if not out:
            return None
        request_id, attempt = out
        return DeliveryClaim(request_id, token, int(attempt))

    async def wait_for_work(self, max_s: float) -> None:
        """Block until a delivery is enqueued or the next one falls due (at most ``max_s``)."""
        head = await self.redis.zrange(self.keys.webhooks_due, 0, 0, withscores=True)
        wait_s = max_s
        if head:
            seconds, micros = await self.redis.time()
            wait_s = min(max_s, (head[0][1] - (seconds * 1000 + micros // 1000)) / 1000)
        if wait_s > 0:
            await self.redis.blpop([self.keys.webhooks_wakeup], timeout=max(wait_s, 0.01))

    async def freeze_body(self, request_id: str, body: str) -> str:
        """Store the body of the delivery unless one is stored; returns the stored one."""
        key = self.keys.webhook(request_id)
        await self.redis.hsetnx(key, "body", body)
        return await self.redis.hget(key, "body")

    async def complete(
        self, claim: DeliveryClaim, attempt: dict[str, Any], state: DeliveryState, delay_s: float = 0.0
    ) -> bool:
        """Record the claimed attempt and what follows it: another attempt after
        ``delay_s`` (state ``pending``), or the end. False when the lease was lost."""
        done = await self._complete(
            keys=[self.keys.webhooks_due, self.keys.webhook(claim.request_id)],
            args=[claim.request_id, claim.token, json.dumps(attempt), state, int(delay_s * 1000)],
        )
        return bool(done)
