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

from serve_app import ids
from serve_app.clock import now_iso
from serve_app.errors import NotFound, Overloaded, RateLimited
from serve_app.jobs.record import JobRecord, JobStatus, to_hash
from serve_app.redis_keys import RedisKeys
from serve_app.webhooks.outbox import ENQUEUE_WEBHOOK

# KEYS: job, queue, seq, events, wakeup, queued per owner.
# ARGV: id, event json, owner, per-owner cap, queue cap, field/value pairs...
# Returns the queue position, or -1 (the owner's cap) / -2 (the queue's cap).
# The queue position goes into the event and is remembered as the last logged one.
_SUBMIT = """
if tonumber(redis.call('HGET', KEYS[6], ARGV[3]) or '0') >= tonumber(ARGV[4]) then return -1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return -2 end
redis.call('HINCRBY', KEYS[6], ARGV[3], 1)
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
local position = redis.call('ZRANK', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'seq', seq, 'logged_position', position, unpack(ARGV, 6))
local event = cjson.decode(ARGV[2])
event['queue_position'] = position
redis.call('XADD', KEYS[4], '*', 'data', cjson.encode(event))
redis.call('LPUSH', KEYS[5], '1')
redis.call('LTRIM', KEYS[5], 0, 999)
return position
"""

# A queued job leaving the queue moves every job behind it: one entry in the
# queue-moves stream tells their status streams to recompute (see _POSITION).
_QUEUE_MOVED = """
local function queue_moved(moves, id, job, queued_per_owner)
  redis.call('XADD', moves, 'MAXLEN', '~', 1000, '*', 'id', id)
  redis.call('HINCRBY', queued_per_owner, redis.call('HGET', job, 'owner'), -1)
end
"""

# KEYS: job, queue, events. ARGV: id, IN_QUEUE event json. Logs the job's queue
# position when it differs from the last one logged; returns it, or false.
_POSITION = """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_QUEUE' then return false end
local position = redis.call('ZRANK', KEYS[2], ARGV[1])
if not position or tostring(position) == redis.call('HGET', KEYS[1], 'logged_position') then return false end
redis.call('HSET', KEYS[1], 'logged_position', position)
local event = cjson.decode(ARGV[2])
event['queue_position'] = position
redis.call('XADD', KEYS[3], '*', 'data', cjson.encode(event))
return position
"""

# KEYS: queue, leases, queue moves, queued per owner.
# ARGV: job key prefix, lease ms, token, max attempts, now, started event.
_CLAIM = _QUEUE_MOVED + """
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
    queue_moved(KEYS[3], id, jk, KEYS[4])
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

# KEYS: job, events. ARGV: token, progress json, event json, chunks done. Returns like _HEARTBEAT.
# Chunks finish concurrently, so reports can arrive out of order: a report that
# is not ahead of the recorded progress is dropped, and progress never goes back.
_PROGRESS = """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_PROGRESS'
   or redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[1] then return -1 end
local recorded = redis.call('HGET', KEYS[1], 'progress')
if not recorded or recorded == '' or cjson.decode(recorded)['chunks_done'] < tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'progress', ARGV[2])
  redis.call('XADD', KEYS[2], '*', 'data', ARGV[3])
end
if redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then return 1 end
return 0
"""

# KEYS: job, leases, events, webhook, webhooks due, webhooks wakeup.
# ARGV: id, token, status, event json, webhook id, field/value pairs...
# Every terminal transition enqueues the job's webhook in the same script.
_FINISH = ENQUEUE_WEBHOOK + """
if redis.call('HGET', KEYS[1], 'status') ~= 'IN_PROGRESS'
   or redis.call('HGET', KEYS[1], 'lease_token') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'lease_token', '', unpack(ARGV, 6))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'data', ARGV[4])
enqueue_webhook(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], ARGV[5])
return 1
"""

# KEYS: job, queue, events, queue moves, webhook, webhooks due, webhooks wakeup, queued per owner.
# ARGV: id, now, event json, webhook id. Returns the status after the call.
_CANCEL = ENQUEUE_WEBHOOK + _QUEUE_MOVED + """
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'IN_QUEUE' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'status', 'CANCELLED', 'completed_at', ARGV[2])
  redis.call('XADD', KEYS[3], '*', 'data', ARGV[3])
  queue_moved(KEYS[4], ARGV[1], KEYS[1], KEYS[8])
  enqueue_webhook(KEYS[1], KEYS[5], KEYS[6], KEYS[7], ARGV[1], ARGV[4])
  return 'CANCELLED'
elseif st == 'IN_PROGRESS' then
  redis.call('HSET', KEYS[1], 'cancel_requested', '1')
end
return st
"""


_UNBOUNDED = 10**15


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
        self._position = redis.register_script(_POSITION)

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

    async def before_last_event(self, request_id: str) -> str:
        """The id to read after to get only the latest event (and any newer ones)."""
        entries = await self.redis.xrevrange(self.keys.events(request_id), count=2)
        return entries[1][0] if len(entries) == 2 else "0-0"

    async def queue_moves_cursor(self) -> str:
        """The id of the latest queue move, to wait for the next one after it."""
        entries = await self.redis.xrevrange(self.keys.queue_moves, count=1)
        return entries[0][0] if entries else "0-0"

    async def wait_events(
        self, request_id: str, after: str, moves_after: str | None, timeout_s: float
    ) -> tuple[bool, str | None]:
        """Block until the job logs an event after ``after`` or, when
        ``moves_after`` is given, the queue moves after it. Returns (whether
        anything happened, the latest queue move seen)."""
        streams = {self.keys.events(request_id): after}
        if moves_after is not None:
            streams[self.keys.queue_moves] = moves_after
        answer = await self.redis.xread(streams, count=1, block=max(1, int(timeout_s * 1000)))
        for stream, entries in answer or []:
            if stream == self.keys.queue_moves:
                moves_after = entries[-1][0]
        return bool(answer), moves_after

    async def log_position(self, request_id: str) -> int | None:
        """Log a queued job's position when it changed since it was last logged.
        Positions are logged only for jobs someone follows, so a claim costs
        O(1), not one event per queued job."""
        k = self.keys
        position = await self._position(
            keys=[k.job(request_id), k.queue, k.events(request_id)], args=[request_id, _event(JobStatus.IN_QUEUE)]
        )
        return None if position is None else int(position)

    # --- client transitions ------------------------------------------------
    async def submit(
        self,
        *,
        request_id: str,
        owner: str,
        backend: str,
        input: dict[str, Any],
        plan: dict[str, Any],
        webhook_url: str | None,
        warnings: list[str],
        created_at: str,
        base_url: str | None = None,
        max_queued_per_owner: int | None = None,
        max_queue_length: int | None = None,
    ) -> int:
        """Record and enqueue a job with its plan (``serve_app.jobs.planning``);
        returns its queue position. ``base_url`` is
        the base of the links the submitter got, reused in its webhook.
        Raises RateLimited / Overloaded when the owner's or the whole queue is full."""
        fields = to_hash(
            request_id=request_id,
            owner=owner,
            status=JobStatus.IN_QUEUE.value,
            model="audio/separate",
            backend=backend,
            created_at=created_at,
            input=input,
            plan=plan,
            webhook_url=webhook_url,
            base_url=base_url,
            warnings=warnings,
            attempts=0,
        )
        flat = [item for pair in fields.items() for item in pair]
        k = self.keys
        position = await self._submit(
            keys=[k.job(request_id), k.queue, k.seq, k.events(request_id), k.wakeup, k.queued_per_owner],
            args=[request_id, _event(JobStatus.IN_QUEUE), owner, max_queued_per_owner or _UNBOUNDED,
                  max_queue_length or _UNBOUNDED, *flat],
        )
        if position == -1:
            raise RateLimited(
                f"This API key already has {max_queued_per_owner} jobs waiting; "
                "wait for some to start or cancel some.",
                retry_after_s=10,
            )
        if position == -2:
            raise Overloaded("The queue is full; retry in a little while.")
        return position

    async def cancel(self, request_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask a running one to stop at its next chunk."""
        k = self.keys
        status = await self._cancel(
            keys=[k.job(request_id), k.queue, k.events(request_id), k.queue_moves,
                  k.webhook(request_id), k.webhooks_due, k.webhooks_wakeup, k.queued_per_owner],
            args=[request_id, now_iso(), _event(JobStatus.CANCELLED), ids.new_id("msg")],
        )
        if status is None:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return JobStatus(status)

    # --- worker transitions ------------------------------------------------
    async def claim(self, lease_s: float, max_attempts: int) -> Claim | None:
        token = secrets.token_hex(16)
        k = self.keys
        out = await self._claim(
            keys=[k.queue, k.leases, k.queue_moves, k.queued_per_owner],
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

    async def progress(self, claim: Claim, done: int, total: int) -> int:
        """Record chunk progress. Returns like :meth:`heartbeat`."""
        progress = {"chunks_done": done, "chunks_total": total, "fraction": round(done / max(total, 1), 4)}
        k = self.keys
        return int(
            await self._progress(
                keys=[k.job(claim.request_id), k.events(claim.request_id)],
                args=[claim.token, json.dumps(progress), _event(JobStatus.IN_PROGRESS, progress=progress), done],
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
            keys=[k.job(claim.request_id), k.leases, k.events(claim.request_id),
                  k.webhook(claim.request_id), k.webhooks_due, k.webhooks_wakeup],
            args=[claim.request_id, claim.token, status.value, _event(status, **extra), ids.new_id("msg"),
                  *[item for pair in flat.items() for item in pair]],
        )
        return bool(done)

