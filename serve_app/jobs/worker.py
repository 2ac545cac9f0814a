"""The job worker: claims jobs from Redis, keeps their leases alive, runs the
job (jobs/run.py), and records exactly one terminal state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from serve_app.clock import now_iso, parse_iso
from serve_app.config import Settings
from serve_app.errors import ErrorType, ServiceError, dependency_error
from serve_app.files.store import FileStore
from serve_app.jobs.claim_loop import ClaimLoop
from serve_app.jobs.planning import JobPlan, Planner
from serve_app.jobs.record import JobRecord, JobStatus
from serve_app.jobs.run import run_job
from serve_app.jobs.separation import JobStopped
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.jobs.store import Claim, JobStore, Lease
from serve_app.metrics import Metrics
from serve_app.store.connection import UNAVAILABLE, while_unavailable

log = logging.getLogger(__name__)

FINISH_PATIENCE_S = 600.0  # how long a finished job waits for Redis to record its end


class LeaseLost(Exception):
    """A progress report found the lease gone: let the job go without ending it."""


class JobWorker:
    def __init__(
        self,
        jobs: JobStore,
        files: FileStore,
        settings: Settings,
        separators: Mapping[str, SeparatorClient],
        planner: Planner,
        max_concurrent_jobs: int = 4,
        chunks_in_flight: int = 4,
        metrics: Metrics | None = None,
    ):
        self.metrics = metrics or Metrics()
        self.jobs = jobs
        self.files = files
        self.settings = settings
        self.separators = dict(separators)
        self.planner = planner
        self.chunks_in_flight = chunks_in_flight
        self.claims: dict[str, Claim] = {}  # of the jobs being processed, by request id
        self.loop = ClaimLoop(
            "job",
            claim=lambda: jobs.claim(settings.visibility_timeout_s, settings.max_attempts),
            wait_for_work=lambda: jobs.wait_for_work(timeout_s=min(1.0, settings.redis_block_s)),
            handle=self._process,
            key=lambda claim: claim.request_id,
            concurrency=max_concurrent_jobs,
        )

    @property
    def running(self) -> dict[str, asyncio.Task]:
        """Jobs being processed, by request id."""
        return self.loop.running

    async def run(self) -> None:
        """Claim and process jobs until :meth:`stop`."""
        await self.loop.run()

    def stop(self) -> None:
        self.loop.stop()

    async def drain(self, grace_s: float) -> list[str]:
        """Stop claiming; let running jobs finish for up to ``grace_s``, then hand the rest
        back so another worker claims them at once. Returns the ids handed back."""
        self.stop()
        if self.running:
            await asyncio.wait(list(self.running.values()), timeout=grace_s)
        handed_back = []
        # Read again after the grace: a claim that was on its way when the stop came is running now.
        for request_id, task in list(self.running.items()):
            if task.done():
                continue
            claim = self.claims.get(request_id)  # the task forgets it when cancelled
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            with contextlib.suppress(*UNAVAILABLE):  # then its lease runs out instead
                if claim is not None and await self.jobs.release(claim):
                    handed_back.append(request_id)
        return handed_back

    async def _process(self, claim: Claim) -> None:
        self.claims[claim.request_id] = claim
        try:
            await self._run(claim)
        finally:
            self.claims.pop(claim.request_id, None)

    async def _run(self, claim: Claim) -> None:
        jobs = self.jobs
        if claim.exhausted:
            await self._finish(
                claim,
                JobStatus.FAILED,
                error={
                    "type": ErrorType.WORKER_LOST,
                    "message": f"The worker processing this job stopped {claim.attempt} times; "
                    "the input may be too large for the deployment. Retry or contact the operator.",
                    "retryable": True,
                },
            )
            return
        task = asyncio.current_task()
        assert task is not None  # _process always runs as a task of the claim loop
        heartbeat = asyncio.create_task(self._heartbeat(claim, task))
        try:
            job = await jobs.require(claim.request_id)
            plan = await self._job_plan(job)
            for member in plan.members:
                await self._require_available(member.backend)

            async def progress(done: int, total: int) -> bool:
                try:
                    state = await jobs.progress(claim, done, total)
                except UNAVAILABLE:
                    return False  # a progress report lost to a Redis blip; the next one catches up
                if state is Lease.LOST:
                    raise LeaseLost()
                return state is Lease.CANCEL_REQUESTED

            members = [(self.separators[m.backend], m.plan) for m in plan.members]
            result = await run_job(
                job, self.files, self.settings, members, plan.reading.inverted, progress, self.chunks_in_flight
            )
            if not await self._finish(claim, JobStatus.COMPLETED, result=result):
                await self._discard(result)
        except JobStopped:
            await self._finish(claim, JobStatus.CANCELLED)
        except (asyncio.CancelledError, LeaseLost):
            # Lease lost (the heartbeat cancelled us, or a progress report found it gone) or shutdown:
            # nothing is recorded. Another worker takes over; and where the loss was a stale read (a
            # Redis failover whose new master had not caught up), the lease runs out and the job runs
            # again rather than ending CANCELLED with nobody having asked.
            pass
        except UNAVAILABLE as exc:
            # Redis went away mid-job: the lease runs out and the job is claimed again
            # (at-least-once execution; its terminal state is still recorded once).
            log.warning("job %s abandoned: Redis unavailable (%r)", claim.request_id, exc)
        except ServiceError as exc:
            await self._finish(claim, JobStatus.FAILED, error=exc.job_error())
        except Exception as exc:
            if (error := dependency_error(exc)) is None:
                log.exception("job %s failed unexpectedly", claim.request_id)
                error = ServiceError(
                    f"Separation failed unexpectedly ({type(exc).__name__}); retrying may help.",
                    type=ErrorType.INTERNAL_ERROR,
                    retryable=True,
                )
            await self._finish(claim, JobStatus.FAILED, error=error.job_error())
        finally:
            heartbeat.cancel()

    async def _finish(self, claim: Claim, status: JobStatus, **fields) -> bool:
        """Record the terminal state, waiting out a Redis outage: the transition checks the
        lease token, so repeating it is safe, and a job finished here need not run again."""
        done = await while_unavailable(
            lambda: self.jobs.finish(claim, status, **fields), f"finishing {claim.request_id}", FINISH_PATIENCE_S
        )
        if done:
            with contextlib.suppress(Exception):  # metrics never fail a job
                await self._observe(claim.request_id)
        return done

    async def _observe(self, request_id: str) -> None:
        job = await self.jobs.require(request_id)
        created, ended = parse_iso(job.created_at), parse_iso(job.completed_at or now_iso())
        started = parse_iso(job.started_at) if job.started_at else ended
        self.metrics.job_finished(
            job.serving or job.backend,
            job.status.value,
            (job.error or {}).get("type"),
            wait_s=(started - created).total_seconds(),
            run_s=(ended - started).total_seconds(),
            total_s=(ended - created).total_seconds(),
        )
        if job.status is JobStatus.COMPLETED and job.progress:
            self.metrics.chunks_separated(job.serving or job.backend, int(job.progress.get("chunks_done", 0)))

    async def _job_plan(self, job: JobRecord) -> JobPlan:
        """The plan made at submit; a job queued by an older version without one is planned now."""
        if job.plan:
            return JobPlan.model_validate(job.plan)
        return await self.planner.plan(job.input, job.backend)

    async def _require_available(self, key: str) -> None:
        separator = self.separators.get(key)
        status = await separator.status() if separator is not None else None
        if status is None or not status.available:
            reason = status.error if status is not None and status.error else f"Backend {key} is not deployed"
            # Retrying can succeed once the operator fixes the deployment.
            raise ServiceError(
                f"{reason.rstrip('.')}. Other backends keep serving.",
                type=ErrorType.BACKEND_UNAVAILABLE,
                retryable=True,
            )

    async def _heartbeat(self, claim: Claim, job_task: asyncio.Task) -> None:
        lease = self.settings.visibility_timeout_s
        while True:
            await asyncio.sleep(lease / 3)
            try:
                state = await self.jobs.heartbeat(claim, lease)
            except Exception:
                log.warning("heartbeat for %s failed; retrying", claim.request_id)
                continue
            if state is Lease.LOST:
                log.warning("lost the lease on %s; abandoning it", claim.request_id)
                job_task.cancel()
                return

    async def _discard(self, result: dict) -> None:
        for role in ("target", "residual"):
            record = result.get(role)
            if record:
                await self.files.delete(record["file_id"], record["owner"])
