"""The asynchronous client: every API call, typed with the service's own schemas.

Submits and uploads carry an ``Idempotency-Key`` (one per call, kept across its
retries), so retrying them after a timeout or a 503 never makes a second job or
file. 429 and 503 answers are retried after their ``Retry-After``; a status
stream that drops is reopened with ``Last-Event-ID`` and loses no event.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from httpx_sse import aconnect_sse
from pydantic import BaseModel

from serve_app.contract.schemas import (
    CancelResponse,
    FileInfo,
    ResultResponse,
    SeparateRequest,
    StatusResponse,
    SubmitResponse,
)
from serve_app.jobs.record import JobStatus

DEFAULT_URL = "http://127.0.0.1:8000"
RETRIED_STATUSES = (429, 503)
Model = TypeVar("Model", bound=BaseModel)


class APIError(Exception):
    """An error answer of the service: its ``type``, ``message`` and ``field`` as the API
    reports them (``status_code`` 0: the service could not be reached)."""

    def __init__(self, status_code: int, type: str, message: str, field: str | None = None):
        super().__init__(f"{type}: {message}" + (f" (field: {field})" if field else ""))
        self.status_code, self.type, self.message, self.field = status_code, type, message, field

    @classmethod
    def from_response(cls, response: httpx.Response) -> APIError:
        try:
            error = response.json()["error"]
            return cls(response.status_code, error["type"], error["message"], error.get("field"))
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text[:200] or response.reason_phrase)


class JobFailed(Exception):
    """A job ended FAILED or CANCELLED; ``status`` is its status object."""

    def __init__(self, status: StatusResponse):
        super().__init__(f"{status.status.value}: {status.error.message if status.error else 'cancelled'}")
        self.status = status


class AsyncClient:
    """``AsyncClient(url, api_key)``; both default to ``AUDIOLASSO_URL`` and ``AUDIOLASSO_API_KEY``."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout_s: float = 60.0,
        max_retries: int = 6,
        max_retry_wait_s: float = 60.0,
    ):
        self.url = (url or os.environ.get("AUDIOLASSO_URL") or DEFAULT_URL).rstrip("/")
        key = api_key or os.environ.get("AUDIOLASSO_API_KEY")
        if not key:
            raise ValueError("no API key: pass api_key= or set AUDIOLASSO_API_KEY")
        self.max_retries, self.max_retry_wait_s = max_retries, max_retry_wait_s
        self.http = httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout_s)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- requests --------------------------------------------------------------
    async def request(self, method: str, path: str, answers: tuple[int, ...] = (), **kwargs: Any) -> httpx.Response:
        """One API call, retried on 429/503 (after Retry-After) and on connection failures
        (for GETs and for writes that carry an Idempotency-Key). Raises APIError for a 4xx/5xx
        unless the caller takes that status as an answer (``answers``)."""
        retry_safe = method == "GET" or "Idempotency-Key" in kwargs.get("headers", {})
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if last or not retry_safe:
                    raise APIError(0, "service_unreachable", f"{self.url} did not answer: {exc}") from exc
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRIED_STATUSES and not last:
                await asyncio.sleep(self._backoff(attempt, response.headers.get("Retry-After")))
                continue
            if response.status_code >= 400 and response.status_code not in answers:
                raise APIError.from_response(response)
            return response
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_retry_wait_s)
        return min(0.5 * 2**attempt, self.max_retry_wait_s)

    async def _json(self, model: type[Model], method: str, path: str, **kwargs: Any) -> Model:
        return model.model_validate((await self.request(method, path, **kwargs)).json())

    # --- files -----------------------------------------------------------------
    async def upload(self, source: str | Path | bytes, filename: str | None = None) -> FileInfo:
        """Upload a local file (path) or bytes; the file object, with its ``file_id``."""
        if isinstance(source, bytes):
            content, name = source, filename or "audio"
        else:
            content, name = Path(source).read_bytes(), filename or Path(source).name
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return await self._json(FileInfo, "POST", "/v1/files", files={"file": (name, content)}, headers=headers)

    # --- jobs ------------------------------------------------------------------
    async def submit(
        self,
        prompt: str,
        *,
        file_id: str | None = None,
        audio_url: str | None = None,
        webhook_url: str | None = None,
        **options: Any,
    ) -> AsyncJob:
        """Submit a job (``options``: spans, backend, model_variant, output_format, ... as in the
        API); checked against the API's schema before it is sent. The job's handle."""
        body = SeparateRequest.model_validate(
            {
                "input": {"prompt": prompt, "file_id": file_id, "audio_url": audio_url, **options},
                "webhookUrl": webhook_url,
            }
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        submitted = await self._json(SubmitResponse, "POST", "/v1/queue/audio/separate", json=body, headers=headers)
        return AsyncJob(self, submitted.request_id, submitted)

    def job(self, request_id: str) -> AsyncJob:
        return AsyncJob(self, request_id)

    async def separate(
        self,
        source: str | Path,
        prompt: str,
        *,
        out_dir: str | Path | None = None,
        on_update: Callable[[StatusResponse], Awaitable[None] | None] | None = None,
        timeout_s: float | None = None,
        **options: Any,
    ) -> ResultResponse:
        """All of it in one call: upload ``source`` (a local path; an http(s) URL is passed
        through), submit, follow the job (``on_update`` gets each status), and download the
        tracks into ``out_dir`` when given. Raises JobFailed when the job does not complete."""
        text = str(source)
        if text.startswith(("http://", "https://")):
            job = await self.submit(prompt, audio_url=text, **options)
        else:
            job = await self.submit(prompt, file_id=(await self.upload(source)).file_id, **options)
        await job.wait(timeout_s=timeout_s, on_update=on_update)
        result = await job.result()
        if out_dir is not None:
            await job.download(out_dir, stem=Path(text.split("?")[0]).stem or job.request_id, result=result)
        return result


class AsyncJob:
    """One submitted job: its status, stream, result, files; ``submitted`` is the 202's body."""

    def __init__(self, client: AsyncClient, request_id: str, submitted: SubmitResponse | None = None):
        self.client, self.request_id, self.submitted = client, request_id, submitted
        self._root = f"/v1/queue/requests/{request_id}"

    async def status(self) -> StatusResponse:
        return await self.client._json(StatusResponse, "GET", f"{self._root}/status")

    async def stream(self) -> AsyncGenerator[StatusResponse, None]:
        """Each status change as it happens, until the terminal one. A dropped connection is
        reopened with the last event's id, so no event is lost or repeated."""
        last_id: str | None = None
        failures = 0
        while True:
            headers = {"Last-Event-ID": last_id} if last_id else {}
            try:
                async with aconnect_sse(
                    self.client.http, "GET", f"{self._root}/status/stream", headers=headers, timeout=None
                ) as source:
                    if source.response.status_code != 200:
                        await source.response.aread()
                        if source.response.status_code not in RETRIED_STATUSES:
                            raise APIError.from_response(source.response)
                        raise httpx.RemoteProtocolError("the service is unavailable for now")
                    async for event in source.aiter_sse():
                        if not event.data:  # a keep-alive comment
                            continue
                        status = StatusResponse.model_validate_json(event.data)
                        last_id, failures = event.id or last_id, 0
                        yield status
                        if status.status.terminal:
                            return
            except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
                failures += 1
                if failures > self.client.max_retries:
                    raise APIError(0, "service_unreachable", f"the status stream failed: {exc}") from exc
                await asyncio.sleep(self.client._backoff(failures - 1))

    async def wait(
        self,
        timeout_s: float | None = None,
        on_update: Callable[[StatusResponse], Awaitable[None] | None] | None = None,
    ) -> StatusResponse:
        """Follow the stream until the job ends; its final status. JobFailed unless COMPLETED."""

        async def follow() -> StatusResponse:
            async with contextlib.aclosing(self.stream()) as statuses:
                async for status in statuses:
                    if on_update is not None and (pending := on_update(status)) is not None:
                        await pending
                    if status.status.terminal:
                        return status
            return await self.status()

        final = await asyncio.wait_for(follow(), timeout_s)
        if final.status is not JobStatus.COMPLETED:
            raise JobFailed(final)
        return final

    async def cancel(self) -> CancelResponse:
        return await self.client._json(CancelResponse, "PUT", f"{self._root}/cancel")

    async def result(self) -> ResultResponse:
        response = await self.client.request("GET", f"{self._root}/result", answers=(409,))
        if response.status_code != 200:  # 202 (running) or 409 (failed, cancelled): the status object
            raise JobFailed(StatusResponse.model_validate(response.json()))
        return ResultResponse.model_validate(response.json())

    async def download(
        self, out_dir: str | Path, stem: str | None = None, result: ResultResponse | None = None
    ) -> dict[str, Path]:
        """Write ``STEM.target.EXT`` and ``STEM.residual.EXT`` into ``out_dir``; their paths."""
        result = result or await self.result()
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)

        async def fetch(role: str) -> Path:
            track = getattr(result, role)
            path = folder / f"{stem or self.request_id}.{role}{Path(track.file_name).suffix}"
            response = await self.client.request("GET", f"/v1/files/{track.file_id}/content")
            path.write_bytes(response.content)
            return path

        roles = ("target", "residual")
        return dict(zip(roles, await asyncio.gather(*map(fetch, roles)), strict=True))
