"""QueueWorker: a deployment with no HTTP route that runs the job worker loop
and, beside it, the webhook sender and the retention janitor."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ray import serve
from ray.serve.handle import DeploymentHandle

from serve_app.config import get_settings
from serve_app.context import ServiceContext
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import HandleSeparator

log = logging.getLogger(__name__)


@serve.deployment(name="QueueWorker", max_ongoing_requests=8, ray_actor_options={"num_cpus": 0.5})
class QueueWorker:
    def __init__(
        self,
        separators: dict[str, DeploymentHandle],
        options: dict[str, dict[str, Any]],
        routes: dict[str, list[str]],
        max_concurrent_jobs: int = 4,
        chunks_in_flight: int = 4,
    ):
        ctx = ServiceContext.create(get_settings(), list(separators), routes=routes)
        self.worker = ctx.job_worker(
            {name: HandleSeparator(handle) for name, handle in separators.items()},
            Planner.for_deployment(options, routes),
            max_concurrent_jobs=max_concurrent_jobs,
            chunks_in_flight=chunks_in_flight,
        )
        self.sender = ctx.webhook_sender()
        self.janitor = ctx.janitor()
        loop = asyncio.get_running_loop()
        self.loop_task = loop.create_task(self.worker.run())
        self.sender_task = loop.create_task(self.sender.run())
        self.janitor_task = loop.create_task(self.janitor.run())

    def check_health(self) -> None:
        loops = (("worker", self.loop_task), ("webhook sender", self.sender_task), ("janitor", self.janitor_task))
        for name, task in loops:
            if task.done():
                raise RuntimeError(f"{name} loop ended: {task.exception()!r}")

    def __del__(self):
        self.worker.stop()
        self.sender.stop()
        self.janitor.stop()
