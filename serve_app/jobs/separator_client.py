"""How the worker reaches a backend: through a Serve deployment handle in the
service, or in-process (tests, the `audiolasso worker` command)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from serve_app.backend import Backend, BackendInfo, Plan, SeparationItem, SpanHint

log = logging.getLogger(__name__)


class BackendStatus(BaseModel):
    """Whether a Separator can serve: a backend that failed to load stays deployed
    but unavailable, so the other backends keep serving."""

    available: bool
    error: str | None = None
    device: str | None = None
    starting: bool = False  # no replica answered in time: scaled to zero, or one is starting


class SeparatorClient(Protocol):
    async def info(self) -> BackendInfo: ...

    async def status(self) -> BackendStatus: ...

    async def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan: ...

    async def separate(self, item: SeparationItem) -> np.ndarray: ...


class HandleSeparator:
    """A Separator deployment, called through its handle (batches form there).

    A call that reached a replica which then died (killed, its node lost) is made again,
    with backoff, for up to ``REPLICA_LOST_RETRY_S``: Serve starts another replica, and a
    chunk separates the same twice, so a lost replica costs time, not the job."""

    REPLICA_LOST_RETRY_S = 120.0

    def __init__(
        self,
        handle: Any,  # a ray.serve DeploymentHandle
        info: BackendInfo | None = None,  # known without asking a replica (the Ingress's own backend instances)
        status_wait_s: float | None = None,  # how long status() waits for a replica; None: until one answers
    ):
        self.handle = handle
        self._info = info
        self.status_wait_s = status_wait_s

    async def _call(self, method: str, *args: Any) -> Any:
        from ray.exceptions import RayActorError
        from ray.serve.exceptions import DeploymentUnavailableError, ReplicaUnavailableError

        lost = (RayActorError, ReplicaUnavailableError, DeploymentUnavailableError)
        deadline = asyncio.get_running_loop().time() + self.REPLICA_LOST_RETRY_S
        delay = 0.5
        while True:
            try:
                return await getattr(self.handle, method).remote(*args)
            except lost as exc:
                if asyncio.get_running_loop().time() + delay > deadline:
                    raise
                log.warning("Separator replica lost during %s (%s); retrying in %.1f s", method, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def info(self) -> BackendInfo:
        if self._info is None:
            self._info = await self._call("info")
        return self._info

    async def status(self) -> BackendStatus:
        """The replica's answer; past ``status_wait_s`` (a deployment scaled to zero, whose replica
        the call itself starts), "starting": jobs for it queue and wait for the replica."""
        if self.status_wait_s is None:
            return await self._call("status")
        try:
            return await asyncio.wait_for(self._call("status"), self.status_wait_s)
        except TimeoutError:
            return BackendStatus(available=True, starting=True)

    async def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        return await self._call("prepare", audio, sample_rate, plan, spans)

    async def separate(self, item: SeparationItem) -> np.ndarray:
        return await self._call("separate", item)


class LocalSeparator:
    """A loaded backend in this process, off the event loop: ``concurrency`` chunks at
    a time (one by default; a Separator's ``max_concurrent_batches`` to match one)."""

    def __init__(self, backend: Backend, concurrency: int = 1):
        self.backend = backend
        self._slots = asyncio.Semaphore(concurrency)

    async def info(self) -> BackendInfo:
        return self.backend.info

    async def status(self) -> BackendStatus:
        return BackendStatus(available=True)  # given a loaded backend

    async def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        async with self._slots:
            return await asyncio.to_thread(self.backend.prepare, audio, sample_rate, plan, spans)

    async def separate(self, item: SeparationItem) -> np.ndarray:
        async with self._slots:
            return (await asyncio.to_thread(self.backend.separate, [item]))[0]
