"""Atomic job state transitions in Redis.

Each transition is one Lua script, so status, queue, lease and event log never
disagree. A claim holds a lease (a token plus a deadline on the Redis clock);
a worker heartbeats to extend it. A job whose lease runs out — its worker died —
is claimed again by the next worker, up to ``max_attempts`` claims. Terminal
transitions check the lease token, so a job reaches exactly one terminal state
even when a slow worker and its replacement both finish.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from serve_app.clock import now_iso
from serve_app.errors import NotFound
from serve_app.jobs.record import JobRecord, JobStatus, to_hash
from serve_app.redis_keys import RedisKeys

_SUBMIT = """
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('XADD', KEYS[4], '*', 'data', ARGV[2])
redis.call('LPUSH', KEYS[5], '1')
redis.call('LTRIM', KEYS[5], 0, 999)
return redis.call('ZRANK', KEYS[2], ARGV[1])
"""

# KEYS: queue, leases. ARGV: job key prefix, lease ms, token, max attempts, now, started event.
_CLAIM = """
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
local now = deadline - tonumber(ARGV[2])
while true do
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)
  if #expired == 0 then break end
  local id = expired[1]
  local jk = ARGV[1] .. id
  if redis.call('HGET', jk, 'status') ~= 'IN_PROGRESS' then
    redis.call('ZREM', KEYS[2], id)
  else
    local attempts = tonumber(redis.call('HGET', jk, 'attempts') or '0')
    redis.call('ZADD', KEYS[2], deadline, id)
    redis.call('HSET', jk, 'lease_token', ARGV[3], 'attempts', attempts + 1, 'progress', '')
    if attempts >= tonumber(ARGV[4]) then
      return {'exhausted', id, attempts}
    end
    return {'claimed', id, attempts + 1}
  end
end
while true do
  local popped = redis.call('ZPOPMIN', KEYS[1])
  if #popped == 0 then return false end
  local id = popped[1]
  local jk = ARGV[1] .. id
  if redis.call('HGET', jk, 'status') == 'IN_QUEUE' then
    redis.call('ZADD', KEYS[2], deadline, id)
    redis.call('HSET', jk, 'status', 'IN_PROGRESS', 'lease_token', ARGV[3], 'attempts', 1,
               'started_at', ARGV[5])
    redis.call('XADD', jk .. ':events', '*', 'data', ARGV[6])
    return {'claimed', id, 1}
  end
end
"""

# KEYS: job, leases. ARGV: id, token, lease ms. Returns -1 lease lost, 0 go on, 1 cancel requested.
_HEARTBEAT = """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_PROGRESS'
   or redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[2] then return -1 end
local t = redis.call('TIME')
redis.call('ZADD', KEYS[2], 'XX', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3]), ARGV[1])
if redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then return 1 end
return 0
"""

# KEYS: job, events. ARGV: token, progress json, event json. Returns like _HEARTBEAT.
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_PROGRESS'
   or redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'progress', ARGV[2])
redis.call('XADD', KEYS[2], '*', 'data', ARGV[3])
if redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then return 1 end
return 0
"""

# KEYS: job, leases, events. ARGV: id, token, status, event json, field/value pairs...
_FINISH = """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_PROGRESS'
   or redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'lease_token', '', unpack(ARGV, 5))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'data', ARGV[4])
return 1
"""

# KEYS: job, queue, events. ARGV: id, now, event json. Returns the status after the call.
_CANCEL = """
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'IN_QUEUE' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'status', 'CANCELLED', 'completed_at', ARGV[2])
  redis.call('XADD', KEYS[3], '*', 'data', ARGV[3])
  return 'CANCELLED'
elseif st == 'IN_PROGRESS' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
end
return st
"""


@dataclass(frozen=True)
class Claim:
    request_id: str
    token: str
    attempt: int
    exhausted: bool = False


def _event(status: JobStatus, **extra: Any) -> str:
    return json.dumps({"status": status.value, "at": now_iso(), **extra}, separators=(",", ":"))


class JobStore:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.redis = redis
        self.keys = keys
        self._submit = redis.register_script(_SUBMIT)
        self._claim = redis.register_script(_CLAIM)
        self._heartbeat = redis.register_script(_HEARTBEAT)
        self._progress = redis.register_script(_PROGRESS)
        self._finish = redis.register_script(_FINISH)
        self._cancel = redis.register_script(_CANCEL)

    # --- reads -------------------------------------------------------------
    async def get(self, request_id: str) -> JobRecord | None:
        data = await self.redis.hgetall(self.keys.job(request_id))
        return JobRecord.from_hash(data) if data else None

    async def get_owned(self, request_id: str, owner: str) -> JobRecord:
        """The job, or NotFound when it does not exist or belongs to another key."""
        job = await self.get(request_id)
        if job is None or job.owner != owner:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return job

    async def queue_position(self, request_id: str) -> int | None:
        """How many jobs are ahead of this one, or None when it is not queued."""
        return await self.redis.zrank(self.keys.queue, request_id)

    async def queue_length(self) -> int:
        return await self.redis.zcard(self.keys.queue)

    async def events(self, request_id: str, after: str = "0-0", count: int = 1000) -> list[tuple[str, dict]]:
        """Events logged after the event id ``after`` (exclusive), oldest first."""
        entries = await self.redis.xrange(self.keys.events(request_id), min=f"({after}", count=count)
        return [(event_id, json.loads(fields["data"])) for event_id, fields in entries]

    # --- client transitions ------------------------------------------------
    async def submit(
        self,
        *,
        request_id: str,
        owner: str,
        backend: str,
        input: dict[str, Any],
        webhook_url: str | None,
        warnings: list[str],
        created_at: str,
    ) -> int:
        """Record and enqueue a job; returns its queue position."""
        fields = to_hash(
            request_id=request_id,
            owner=owner,
            status=JobStatus.IN_QUEUE.value,
            model="audio/separate",
            backend=backend,
            created_at=created_at,
            input=input,
            webhook_url=webhook_url,
            warnings=warnings,
            attempts=0,
        )
        flat = [item for pair in fields.items() for item in pair]
        k = self.keys
        return await self._submit(
            keys=[k.job(request_id), k.queue, k.seq, k.events(request_id), k.wakeup],
            args=[request_id, _event(JobStatus.IN_QUEUE), *flat],
        )

    async def cancel(self, request_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask a running one to stop at its next chunk."""
        k = self.keys
        status = await self._cancel(
            keys=[k.job(request_id), k.queue, k.events(request_id)],
            args=[request_id, now_iso(), _event(JobStatus.CANCELLED)],
        )
        if status is None:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return JobStatus(status)

    # --- worker transitions ------------------------------------------------
    async def claim(self, lease_s: float, max_attempts: int) -> Claim | None:
        token = secrets.token_hex(16)
        k = self.keys
        out = await self._claim(
            keys=[k.queue, k.leases],
            args=[k.job_prefix, int(lease_s * 1000), token, max_attempts, now_iso(), _event(JobStatus.IN_PROGRESS)],
        )
        if not out:
            return None
        kind, request_id, attempt = out
        return Claim(request_id, token, int(attempt), exhausted=(kind == "exhausted"))

    async def wait_for_work(self, timeout_s: float) -> None:
        """Block until a submit happens or the timeout passes."""
        await self.redis.blpop([self.keys.wakeup], timeout=timeout_s)

    async def heartbeat(self, claim: Claim, lease_s: float) -> int:
        """Extend the lease. Returns -1 when the lease is lost, 1 when cancel was asked, else 0."""
        k = self.keys
        return int(
            await self._heartbeat(
                keys=[k.job(claim.request_id), k.leases],
                args=[claim.request_id, claim.token, int(lease_s * 1000)],
            )
        )

    async def set_fields(self, claim: Claim, **fields: Any) -> None:
        """Store worker-side facts (plan, warnings) on a claimed job."""
        await self.redis.hset(self.keys.job(claim.request_id), mapping=to_hash(**fields))

    async def progress(self, claim: Claim, done: int, total: int) -> int:
        """Record chunk progress. Returns like :meth:`heartbeat`."""
        progress = {"chunks_done": done, "chunks_total": total, "fraction": round(done / max(total, 1), 4)}
        k = self.keys
        return int(
            await self._progress(
                keys=[k.job(claim.request_id), k.events(claim.request_id)],
                args=[claim.token, json.dumps(progress), _event(JobStatus.IN_PROGRESS, progress=progress)],
            )
        )

    async def finish(self, claim: Claim, status: JobStatus, **fields: Any) -> bool:
        """Move a claimed job to a terminal state; False if this worker no longer holds it."""
        if not status.terminal:
            raise ValueError(f"{status} is not terminal")
        extra = {"error": fields["error"]} if fields.get("error") else {}
        flat = to_hash(completed_at=now_iso(), **fields)
        k = self.keys
        done = await self._finish(
            keys=[k.job(claim.request_id), k.leases, k.events(claim.request_id)],
            args=[claim.request_id, claim.token, status.value, _event(status, **extra),
                  *[item for pair in flat.items() for item in pair]],
        )
        return bool(done)

