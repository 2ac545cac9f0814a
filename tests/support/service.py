"""The service under test: the FastAPI app on a real socket plus the job worker
and the webhook sender, in one background event loop, with a real Redis. Tests
talk to it over HTTP like any client (``LiveService.client``)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import uvicorn

from serve_app.api.factory import create_api
from serve_app.backend import Backend
from serve_app.config import Settings
from serve_app.context import ServiceContext
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import LocalSeparator, SeparatorClient

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


def make_settings(redis_url: str, data_dir: Path, **overrides) -> Settings:
    """Settings with a key prefix of their own, so runs never see each other's data."""
    return Settings(redis_url=redis_url, redis_prefix=f"test-{uuid.uuid4().hex[:12]}", data_dir=data_dir, **overrides)


def wait_status(client, request_id: str, until=TERMINAL, timeout: float = 60.0) -> dict:
    """Poll the status endpoint until the job reaches one of ``until``; the status object."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/queue/requests/{request_id}/status").json()
        assert "status" in body, body
        if body["status"] in until:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} never reached {sorted(until)}: {body}")
        time.sleep(0.05)


class InProcessHandle:
    """A Separator replica object behind the `.method.remote(...)` calls of a DeploymentHandle."""

    def __init__(self, replica):
        self.replica = replica

    def __getattr__(self, method: str):
        return SimpleNamespace(remote=getattr(self.replica, method))


def _planning_backend(backend: Backend | SeparatorClient) -> Backend:
    """The backend instance the Ingress plans with: the backend itself, or the one inside
    a Separator replica object reached through an InProcessHandle."""
    return backend if isinstance(backend, Backend) else backend.handle.replica.backend


class LiveService:
    """The API on a real socket plus a JobWorker and a WebhookSender, in one background loop."""

    def __init__(
        self,
        settings: Settings,
        backends: dict[str, Backend | SeparatorClient],  # by key; a Backend is served in-process
        worker: bool = True,
        webhooks: bool = True,
        routes: dict[str, list[str]] | None = None,  # concept routes, as in a Serve config
        routes_without_spans: dict[str, list[str]] | None = None,
        worker_options: dict[str, int] | None = None,  # max_concurrent_jobs, chunks_in_flight
    ):
        self.settings = settings
        self.backends = backends
        self.routes = routes
        self.routes_without_spans = routes_without_spans
        self.with_worker = worker
        self.worker_options = worker_options or {}
        self.with_webhooks = webhooks
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.ctx = ServiceContext.create(
            self.settings, list(self.backends), routes=self.routes, routes_without_spans=self.routes_without_spans
        )
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        separators = {n: LocalSeparator(b) if isinstance(b, Backend) else b for n, b in self.backends.items()}
        backends = {n: _planning_backend(b) for n, b in self.backends.items()}
        planner = Planner(backends, self.routes, self.routes_without_spans)
        self.server = uvicorn.Server(uvicorn.Config(create_api(self.ctx, separators, planner), log_level="warning"))
        self.worker = self.ctx.job_worker(separators, planner, **self.worker_options)
        self.sender = self.ctx.webhook_sender()
        tasks = [asyncio.create_task(self.server.serve(sockets=[sock]))]
        if self.with_worker:
            tasks.append(asyncio.create_task(self.worker.run()))
        if self.with_webhooks:
            tasks.append(asyncio.create_task(self.sender.run()))
        while not self.server.started:
            await asyncio.sleep(0.01)
        self._ready.set()
        await tasks[0]
        self.worker.stop()
        self.sender.stop()
        for task in tasks[1:]:
            task.cancel()
        await self.ctx.redis.aclose()

    def start(self) -> LiveService:
        self._thread.start()
        self._ready.wait(30)
        return self

    def call(self, coro):
        """Run a coroutine on the service's loop (admin actions such as creating keys)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def new_key(self, name: str = "test") -> str:
        return self.call(self.ctx.api_keys.create(name))[1]

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(30)
