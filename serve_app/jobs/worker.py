"""The job worker: claims jobs from Redis, keeps their leases alive, runs the
pipeline, and records exactly one terminal state."""

from __future__ import annotations

import asyncio
import logging
from typing import Mapping

from serve_app.claim_loop import ClaimLoop
from serve_app.context import ServiceContext
from serve_app.errors import ServiceError
from serve_app.jobs.pipeline import JobStopped, joint_plan, plan_job, run_job
from serve_app.jobs.record import JobStatus
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.jobs.store import Claim

log = logging.getLogger(__name__)

LEASE_LOST = -1
CANCEL_REQUESTED = 1


class JobWorker:
    def __init__(
        self,
        ctx: ServiceContext,
        separators: Mapping[str, SeparatorClient],
        max_concurrent_jobs: int = 4,
        chunks_in_flight: int = 4,
    ):
        self.ctx = ctx
        self.separators = dict(separators)
        self.chunks_in_flight = chunks_in_flight
        settings = ctx.settings
        self.loop = ClaimLoop(
            "job",
            claim=lambda: ctx.jobs.claim(settings.visibility_timeout_s, settings.max_attempts),
            wait_for_work=lambda: ctx.jobs.wait_for_work(timeout_s=1.0),
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

    async def _process(self, claim: Claim) -> None:
        jobs = self.ctx.jobs
        if claim.exhausted:
            await jobs.finish(
                claim,
                JobStatus.FAILED,
                error={
                    "type": "worker_lost",
                    "message": f"The worker processing this job stopped {claim.attempt} times; "
                    "the input may be too large for the deployment. Retry or contact the operator.",
                    "retryable": True,
                },
            )
            return
        heartbeat = asyncio.create_task(self._heartbeat(claim, asyncio.current_task()))
        try:
            job = await jobs.get(claim.request_id)
            members = await plan_job(job, self.separators, self.ctx.routes)
            await jobs.set_fields(claim, plan=joint_plan(members))

            async def progress(done: int, total: int) -> bool:
                state = await jobs.progress(claim, done, total)
                if state == LEASE_LOST:
                    raise JobStopped()
                return state == CANCEL_REQUESTED

            result = await run_job(
                job, self.ctx, [(self.separators[k], plan) for k, plan in members], progress, self.chunks_in_flight
            )
            if not await jobs.finish(claim, JobStatus.COMPLETED, result=result):
                await self._discard(result)
        except JobStopped:
            await jobs.finish(claim, JobStatus.CANCELLED)  # a no-op when the lease was lost
        except asyncio.CancelledError:
            # Lease lost (heartbeat cancelled us) or shutdown: another worker takes over.
            pass
        except ServiceError as exc:
            await jobs.finish(claim, JobStatus.FAILED, error=exc.job_error())
        except Exception as exc:
            log.exception("job %s failed unexpectedly", claim.request_id)
            await jobs.finish(
                claim,
                JobStatus.FAILED,
                error={
                    "type": "internal_error",
                    "message": f"Separation failed unexpectedly ({type(exc).__name__}); retrying may help.",
                    "retryable": True,
                },
            )
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, claim: Claim, job_task: asyncio.Task) -> None:
        lease = self.ctx.settings.visibility_timeout_s
        while True:
            await asyncio.sleep(lease / 3)
            try:
                state = await self.ctx.jobs.heartbeat(claim, lease)
            except Exception:
                log.warning("heartbeat for %s failed; retrying", claim.request_id)
                continue
            if state == LEASE_LOST:
                log.warning("lost the lease on %s; abandoning it", claim.request_id)
                job_task.cancel()
                return

    async def _discard(self, result: dict) -> None:
        for role in ("target", "residual"):
            record = result.get(role)
            if record:
                await self.ctx.files.delete(record["file_id"], record["owner"])
