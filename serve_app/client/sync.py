"""The blocking client: the asynchronous one's calls, each run to completion on a
private event-loop thread, so both behave the same (retries, resumed streams)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from serve_app.client.aio import AsyncClient, AsyncJob
from serve_app.contract.schemas import CancelResponse, FileInfo, ResultResponse, StatusResponse

T = TypeVar("T")


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Client:
    """``Client(url, api_key)``; both default to ``AUDIOLASSO_URL`` and ``AUDIOLASSO_API_KEY``.
    Takes the keyword options of AsyncClient."""

    def __init__(self, url: str | None = None, api_key: str | None = None, **options: Any):
        self._aio = AsyncClient(url, api_key, **options)
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True, name="audiolasso-client").start()

    def _run(self, awaitable: Awaitable[T]) -> T:
        future = asyncio.run_coroutine_threadsafe(_awaited(awaitable), self._loop)
        try:
            return future.result()
        except BaseException:  # Ctrl-C here stops the call there too
            future.cancel()
            raise

    def close(self) -> None:
        self._run(self._aio.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return self._aio.url

    def upload(self, source: str | Path | bytes, filename: str | None = None) -> FileInfo:
        return self._run(self._aio.upload(source, filename))

    def submit(self, prompt: str, **options: Any) -> Job:
        return Job(self, self._run(self._aio.submit(prompt, **options)))

    def job(self, request_id: str) -> Job:
        return Job(self, self._aio.job(request_id))

    def separate(self, source: str | Path, prompt: str, **options: Any) -> ResultResponse:
        """Upload, submit, wait and (with ``out_dir=``) download, as AsyncClient.separate."""
        return self._run(self._aio.separate(source, prompt, **options))


class Job:
    def __init__(self, client: Client, job: AsyncJob):
        self._client, self._job = client, job

    @property
    def request_id(self) -> str:
        return self._job.request_id

    @property
    def submitted(self):
        return self._job.submitted

    def status(self) -> StatusResponse:
        return self._client._run(self._job.status())

    def stream(self) -> Iterator[StatusResponse]:
        events = self._job.stream()
        try:
            while True:
                try:
                    yield self._client._run(events.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._client._run(events.aclose())

    def wait(self, timeout_s: float | None = None, on_update: Any = None) -> StatusResponse:
        return self._client._run(self._job.wait(timeout_s, on_update))

    def cancel(self) -> CancelResponse:
        return self._client._run(self._job.cancel())

    def result(self) -> ResultResponse:
        return self._client._run(self._job.result())

    def download(self, out_dir: str | Path, stem: str | None = None) -> dict[str, Path]:
        return self._client._run(self._job.download(out_dir, stem))
