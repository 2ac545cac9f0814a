"""The webhook outbox: one delivery per job with a ``webhookUrl``, in Redis.

A delivery is enqueued by the same Lua script that moves its job to a terminal
state (``ENQUEUE_WEBHOOK``, used by jobs/store.py), so a finished job never
lacks its webhook and a job that did not finish never has one. Due deliveries
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

from serve_app.redis_keys import RedisKeys

DeliveryState = Literal["pending", "delivered", "failed"]

# A Lua function for the job store's terminal transitions.
# enqueue_webhook(job key, webhook key, due key, wakeup key, request id, webhook id)
ENQUEUE_WEBHOOK = """
local function enqueue_webhook(job, hook, due, wakeup, id, webhook_id)
  local url = redis.call('HGET', job, 'webhook_url')
  if not url or url == '' then return end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', hook, 'request_id', id, 'webhook_id', webhook_id, 'owner', redis.call('HGET', job, 'owner'),
             'url', url, 'state', 'pending', 'attempts', 0, 'attempt_log', '[]', 'next_attempt_ms', now)
  redis.call('ZADD', due, now, id)
  redis.call('LPUSH', wakeup, '1')
  redis.call('LTRIM', wakeup, 0, 99)
end
"""

# KEYS: due. ARGV: webhook key prefix, lease ms, token, max attempts, now (ISO).
# Returns {request id, attempt number} or false when nothing is due.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
while true do
  local head = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
  if #head == 0 then return false end
  local id = head[1]
  local hook = ARGV[1] .. id
  if redis.call('EXISTS', hook) == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    local attempts = tonumber(redis.call('HGET', hook, 'attempts'))
    local lost = redis.call('HGET', hook, 'inflight_at')
    if lost and lost ~= '' then
      -- The lease of the last attempt ran out: its sender stopped mid-attempt. It counts.
      local log = cjson.decode(redis.call('HGET', hook, 'attempt_log'))
      log[#log + 1] = {attempt = attempts, at = lost, error = 'the sender stopped during this attempt'}
      redis.call('HSET', hook, 'attempt_log', cjson.encode(log), 'inflight_at', '', 'lease_token', '')
    end
    if attempts >= tonumber(ARGV[4]) then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HSET', hook, 'state', 'failed', 'next_attempt_ms', '')
    else
      redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
      redis.call('HSET', hook, 'attempts', attempts + 1, 'lease_token', ARGV[3], 'inflight_at', ARGV[5],
                 'next_attempt_ms', '')
      return {id, attempts + 1}
    end
  end
end
"""

# KEYS: due, webhook. ARGV: request id, token, attempt json, state, delay ms (state 'pending').
# Returns 0 when the lease was lost (the attempt is then not recorded twice).
_COMPLETE = """
if redis.call('HGET', KEYS[2], 'lease_token') ~= ARGV[2] then return 0 end
local log = cjson.decode(redis.call('HGET', KEYS[2], 'attempt_log'))
log[#log + 1] = cjson.decode(ARGV[3])
redis.call('HSET', KEYS[2], 'attempt_log', cjson.encode(log), 'state', ARGV[4], 'lease_token', '', 'inflight_at', '')
if ARGV[4] == 'pending' then
  local t = redis.call('TIME')
  local next = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[5])
  redis.call('ZADD', KEYS[1], next, ARGV[1])
  redis.call('HSET', KEYS[2], 'next_attempt_ms', next)
else
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], 'next_attempt_ms', '')
end
return 1
"""


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
    def from_hash(cls, data: dict[str, str]) -> "Delivery":
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
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)

    async def get(self, request_id: str) -> Delivery | None:
        data = await self.redis.hgetall(self.keys.webhook(request_id))
        return Delivery.from_hash(data) if data else None

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
