"""QueueWorker: a deployment with no HTTP route that runs the job worker loop
and, beside it, the webhook sender and the retention janitor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ray import serve
from ray.serve.handle import DeploymentHandle

from serve_app.autoscaling import QUEUED_JOBS, RUNNING_JOBS
from serve_app.config import get_settings
from serve_app.context import ServiceContext
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import HandleSeparator
from serve_app.metrics import RayMetrics
from serve_app.store.connection import UNAVAILABLE

log = logging.getLogger(__name__)

QUEUE_SAMPLE_S = 5.0


@serve.deployment(
    name="QueueWorker", max_ongoing_requests=8, graceful_shutdown_timeout_s=30, ray_actor_options={"num_cpus": 0.5}
)
class QueueWorker:
    def __init__(
        self,
        separators: dict[str, DeploymentHandle],
        options: dict[str, dict[str, Any]],
        routes: dict[str, list[str]],
        routes_without_spans: dict[str, list[str]] | None = None,
        max_concurrent_jobs: int = 4,
        chunks_in_flight: int = 4,
        drain_grace_s: float = 15.0,
    ):
        self.drain_grace_s = drain_grace_s
        ctx = ServiceContext.create(get_settings(), list(separators), routes=routes, metrics=RayMetrics())
        self.ctx = ctx
        self.worker = ctx.job_worker(
            {name: HandleSeparator(handle) for name, handle in separators.items()},
            Planner.for_deployment(options, routes, routes_without_spans),
            max_concurrent_jobs=max_concurrent_jobs,
            chunks_in_flight=chunks_in_flight,
        )
        self.sender = ctx.webhook_sender()
        self.janitor = ctx.janitor()
        loop = asyncio.get_running_loop()
        self.loop_task = loop.create_task(self.worker.run())
        self.sender_task = loop.create_task(self.sender.run())
        self.janitor_task = loop.create_task(self.janitor.run())
        self.sampler_task = loop.create_task(self._sample_queue())

    async def _sample_queue(self) -> None:
        """The queue's depth and waiting audio as gauges, for dashboards and autoscaling."""
        while True:
            with contextlib.suppress(*UNAVAILABLE):
                audio_s = {**dict.fromkeys(self.ctx.backends, 0.0), **await self.ctx.jobs.queued_audio_s()}
                self.ctx.metrics.queue(await self.ctx.jobs.queue_length(), audio_s)
            await asyncio.sleep(QUEUE_SAMPLE_S)

    async def record_autoscaling_stats(self) -> dict[str, float]:
        """The backlog Serve scales QueueWorkers on (serve_app/autoscaling.py)."""
        stats = {RUNNING_JOBS: float(len(self.worker.claims))}
        with contextlib.suppress(*UNAVAILABLE):  # Redis away: report what this replica knows
            stats[QUEUED_JOBS] = float(await self.ctx.jobs.queue_length())
        return stats

    def check_health(self) -> None:
        loops = (("worker", self.loop_task), ("webhook sender", self.sender_task), ("janitor", self.janitor_task))
        for name, task in loops:
            if task.done():
                raise RuntimeError(f"{name} loop ended: {task.exception()!r}")

    async def __del__(self):
        """A planned stop (scale-down, upgrade): stop claiming, let running jobs finish for
        ``drain_grace_s``, hand the rest back so another replica claims them at once."""
        self.sender.stop()
        self.janitor.stop()
        self.sampler_task.cancel()
        handed_back = await self.worker.drain(self.drain_grace_s)
        if handed_back:
            log.info("stopping: handed %d running jobs back to the queue", len(handed_back))
