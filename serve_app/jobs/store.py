"""Atomic job state transitions in Redis.

Each transition is one Lua script (``serve_app/store/lua/job_*.lua``), so status,
queue, lease and event log never disagree. A claim holds a lease (a token plus a deadline on the Redis clock);
a worker heartbeats to extend it. A job whose lease runs out — its worker died —
is claimed again by the next worker, up to ``max_attempts`` claims. Terminal
transitions check the lease token, so a job reaches exactly one terminal state
even when a slow worker and its replacement both finish.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from serve_app import ids
from serve_app.access.admission import NOT_ADMITTING, Admission
from serve_app.clock import now_iso
from serve_app.errors import Conflict, NotFound, Overloaded, RateLimited
from serve_app.jobs.record import JobRecord, JobStatus, to_hash
from serve_app.store import index, scripts
from serve_app.store.keys import RedisKeys

log = logging.getLogger(__name__)

_UNBOUNDED = 10**15


class Lease(IntEnum):
    """What a heartbeat or a progress report learns about a claimed job."""

    LOST = -1  # another worker holds it now, or it ended: stop without a result
    HELD = 0
    CANCEL_REQUESTED = 1  # stop at the next chunk; the job ends CANCELLED


@dataclass(frozen=True)
class Claim:
    request_id: str
    token: str
    attempt: int
    exhausted: bool = False


def _event(status: JobStatus, **extra: Any) -> str:
    return json.dumps({"status": status.value, "at": now_iso(), **extra}, separators=(",", ":"))


class JobStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: RedisKeys,
        finished_ttl_s: int = 0,  # how long a finished job is kept (0: until deleted)
        replica_acks: int = 0,
        replica_wait_ms: int = 1000,
    ):
        self.redis = redis
        self.keys = keys
        self.finished_ttl_ms = finished_ttl_s * 1000
        self.replica_acks, self.replica_wait_ms = replica_acks, replica_wait_ms
        self._submit = scripts.register(redis, "job_submit")
        self._claim = scripts.register(redis, "job_claim")
        self._heartbeat = scripts.register(redis, "job_heartbeat")
        self._progress = scripts.register(redis, "job_progress")
        self._finish = scripts.register(redis, "job_finish")
        self._cancel = scripts.register(redis, "job_cancel")
        self._position = scripts.register(redis, "job_position")
        self._delete = scripts.register(redis, "job_delete")
        self._release = scripts.register(redis, "job_release")

    async def _durable(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        """Run a transition that a client is told about (a submit, a terminal state). With
        ``replica_acks``, answer once that many replicas hold it (WAIT on the script's own
        connection), so a failover to a replica cannot lose it."""
        if not self.replica_acks:
            return await script(keys=keys, args=args)
        pipe = self.redis.pipeline(transaction=False)
        await script(keys=keys, args=args, client=pipe)
        pipe.wait(self.replica_acks, self.replica_wait_ms)
        out, acked = await pipe.execute()
        if acked < self.replica_acks:
            log.warning("only %d of %d replicas acknowledged a job transition in time", acked, self.replica_acks)
        return out

    # --- reads -------------------------------------------------------------
    async def get(self, request_id: str) -> JobRecord | None:
        data = await self.redis.hgetall(self.keys.job(request_id))
        return JobRecord.from_hash(data) if data else None

    async def require(self, request_id: str) -> JobRecord:
        """The job, or NotFound (for jobs known to exist: claimed, followed, delivered)."""
        job = await self.get(request_id)
        if job is None:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return job

    async def get_owned(self, request_id: str, owner: str) -> JobRecord:
        """The job, or NotFound when it does not exist or belongs to another key."""
        job = await self.get(request_id)
        if job is None or job.owner != owner:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return job

    async def list_owned(
        self, owner: str, *, newest: str, oldest: str, limit: int, statuses: frozenset[JobStatus] | None = None
    ) -> tuple[list[JobRecord], str | None]:
        """A page of the owner's jobs, newest first, within the id range (see ``store.index``)."""

        async def load(request_ids: list[str]) -> list[JobRecord | None]:
            pipe = self.redis.pipeline(transaction=False)
            for request_id in request_ids:
                pipe.hgetall(self.keys.job(request_id))
            jobs = [JobRecord.from_hash(data) if data else None for data in await pipe.execute()]
            return [job if job is not None and (statuses is None or job.status in statuses) else None for job in jobs]

        return await index.page(self.redis, self.keys.owner_requests(owner), newest, oldest, limit, load)

    async def queue_position(self, request_id: str) -> int | None:
        """How many jobs are ahead of this one, or None when it is not queued."""
        return await self.redis.zrank(self.keys.queue, request_id)

    async def queue_length(self) -> int:
        return await self.redis.zcard(self.keys.queue)

    async def queued_audio_s(self) -> dict[str, float]:
        """Seconds of audio waiting, by what will serve it (inputs of known length only)."""
        return {k: int(v) / 1000 for k, v in (await self.redis.hgetall(self.keys.queued_audio)).items()}

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
        serving: str | None = None,
        audio_ms: int = 0,
        admission: Admission | None = None,
    ) -> int | None:
        """Record and enqueue a job with its plan (``serve_app.jobs.planning``);
        returns its queue position, or None when a job with this id exists already (an
        idempotent retry). ``base_url`` is the base of the links the submitter got, reused
        in its webhook. With ``admission``, the same script admits the request first and
        raises its refusal (RateLimited, QuotaExceeded); without, it was admitted before.
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
            serving=serving or backend,
            audio_ms=audio_ms,
        )
        flat = [item for pair in fields.items() for item in pair]
        k = self.keys
        admission_keys, admission_args = (list(admission.keys), admission.args) if admission else ([], NOT_ADMITTING)
        reply = await self._durable(
            self._submit,
            [
                k.job(request_id),
                k.queue,
                k.seq,
                k.events(request_id),
                k.wakeup,
                k.queued_per_owner,
                k.owner_requests(owner),
                k.queued_audio,
                *admission_keys,
            ],
            [
                request_id,
                _event(JobStatus.IN_QUEUE),
                owner,
                max_queued_per_owner or _UNBOUNDED,
                max_queue_length or _UNBOUNDED,
                serving or backend,
                audio_ms,
                *admission_args,
                *flat,
            ],
        )
        if admission is not None and isinstance(reply, list):  # only an admission refuses with a table
            raise admission.refusal(reply)
        position = int(reply)
        if position == -1:
            raise RateLimited(
                f"This API key already has {max_queued_per_owner} jobs waiting; wait for some to start or cancel some.",
                retry_after_s=10,
            )
        if position == -2:
            raise Overloaded("The queue is full; retry in a little while.")
        return None if position == -3 else position

    async def cancel(self, request_id: str) -> JobStatus:
        """Cancel a queued job at once, or ask a running one to stop at its next chunk."""
        k = self.keys
        status = await self._cancel(
            keys=[
                k.job(request_id),
                k.queue,
                k.events(request_id),
                k.queue_moves,
                k.webhook(request_id),
                k.webhooks_due,
                k.webhooks_wakeup,
                k.queued_per_owner,
                k.jobs_expiry,
                k.queued_audio,
            ],
            args=[request_id, now_iso(), _event(JobStatus.CANCELLED), ids.new_id("msg"), self.finished_ttl_ms],
        )
        if status is None:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        return JobStatus(status)

    async def delete(self, request_id: str, owner: str) -> JobRecord:
        """Forget a finished job (its record, events, webhook); returns what it was, so the
        caller can remove its result files. Conflict while it is queued or running."""
        job = await self.get_owned(request_id, owner)
        k = self.keys
        status = await self._delete(
            keys=[
                k.job(request_id),
                k.events(request_id),
                k.webhook(request_id),
                k.webhooks_due,
                k.owner_requests(owner),
                k.jobs_expiry,
            ],
            args=[request_id],
        )
        if status is None:
            raise NotFound(f"No request with id {request_id!r}.", field="request_id")
        if not JobStatus(status).terminal:
            raise Conflict(f"The request is {status}; cancel it and wait for it to finish before deleting it.")
        return job

    async def expired(self, now_ms: int, limit: int) -> list[str]:
        """Ids of finished jobs past their expiry, oldest first."""
        return await self.redis.zrangebyscore(self.keys.jobs_expiry, "-inf", now_ms, start=0, num=limit)

    async def forget_expiry(self, request_id: str) -> None:
        """Drop an expiry entry whose job is already gone."""
        await self.redis.zrem(self.keys.jobs_expiry, request_id)

    # --- worker transitions ------------------------------------------------
    async def claim(self, lease_s: float, max_attempts: int) -> Claim | None:
        token = secrets.token_hex(16)
        k = self.keys
        out = await self._claim(
            keys=[k.queue, k.leases, k.queue_moves, k.queued_per_owner, k.queued_audio],
            args=[
                k.job_prefix,
                k.EVENTS_SUFFIX,
                int(lease_s * 1000),
                token,
                max_attempts,
                now_iso(),
                _event(JobStatus.IN_PROGRESS),
            ],
        )
        if not out:
            return None
        kind, request_id, attempt = out
        return Claim(request_id, token, int(attempt), exhausted=(kind == "exhausted"))

    async def wait_for_work(self, timeout_s: float) -> None:
        """Block until a submit happens or the timeout passes."""
        await self.redis.blpop([self.keys.wakeup], timeout=timeout_s)

    async def heartbeat(self, claim: Claim, lease_s: float) -> Lease:
        """Extend the lease."""
        k = self.keys
        return Lease(
            await self._heartbeat(
                keys=[k.job(claim.request_id), k.leases],
                args=[claim.request_id, claim.token, int(lease_s * 1000)],
            )
        )

    async def progress(self, claim: Claim, done: int, total: int) -> Lease:
        """Record chunk progress (it also tells whether to go on)."""
        progress = {"chunks_done": done, "chunks_total": total, "fraction": round(done / max(total, 1), 4)}
        k = self.keys
        return Lease(
            await self._progress(
                keys=[k.job(claim.request_id), k.events(claim.request_id)],
                args=[claim.token, json.dumps(progress), _event(JobStatus.IN_PROGRESS, progress=progress), done],
            )
        )

    async def release(self, claim: Claim) -> bool:
        """Hand a claimed job back to be claimed again at once; False if no longer held."""
        k = self.keys
        return bool(
            await self._release(
                keys=[k.job(claim.request_id), k.leases, k.wakeup], args=[claim.request_id, claim.token]
            )
        )

    async def finish(self, claim: Claim, status: JobStatus, **fields: Any) -> bool:
        """Move a claimed job to a terminal state; False if this worker no longer holds it."""
        if not status.terminal:
            raise ValueError(f"{status} is not terminal")
        extra = {"error": fields["error"]} if fields.get("error") else {}
        flat = to_hash(completed_at=now_iso(), **fields)
        k = self.keys
        done = await self._durable(
            self._finish,
            [
                k.job(claim.request_id),
                k.leases,
                k.events(claim.request_id),
                k.webhook(claim.request_id),
                k.webhooks_due,
                k.webhooks_wakeup,
                k.jobs_expiry,
            ],
            [
                claim.request_id,
                claim.token,
                status.value,
                _event(status, **extra),
                ids.new_id("msg"),
                self.finished_ttl_ms,
                *[item for pair in flat.items() for item in pair],
            ],
        )
        return bool(done)
