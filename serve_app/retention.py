"""Retention: what the service deletes, and when.

Finished jobs and files each have a lifetime (``AUDIOLASSO_JOB_TTL_S``,
``..._RESULT_TTL_S``, ``..._UPLOAD_TTL_S``); their expiry is scheduled in a sorted
set by the transition that ends the job or stores the file. The janitor, run by
every QueueWorker replica, deletes what is due: records, events, listing entries
and bytes, giving the bytes back to the owner's quota. Two janitors may meet on
one item; each deletion is a script that does its work once.
"""

from __future__ import annotations

import asyncio
import contextlib

from serve_app.errors import NotFound, StorageUnavailable
from serve_app.files.store import FileStore
from serve_app.jobs.record import JobRecord
from serve_app.jobs.store import JobStore
from serve_app.store.connection import UNAVAILABLE, Backoff

BATCH = 200  # items deleted per round trip to the expiry sets
AWAY: tuple[type[Exception], ...] = (*UNAVAILABLE, StorageUnavailable)  # what a later sweep outlasts


async def delete_job(jobs: JobStore, files: FileStore, request_id: str, owner: str) -> JobRecord:
    """Delete a finished job and its result tracks (Conflict while it runs, NotFound if none).
    The uploaded input stays: it may serve other jobs."""
    job = await jobs.delete(request_id, owner)
    for role in ("target", "residual"):
        track = (job.result or {}).get(role)
        if track:
            with contextlib.suppress(NotFound):  # already deleted through the files API, or expired
                await files.delete(track["file_id"], owner)
    return job


class Janitor:
    def __init__(self, jobs: JobStore, files: FileStore, interval_s: float):
        self.jobs, self.files, self.interval_s = jobs, files, interval_s
        self._stopping = asyncio.Event()

    async def sweep(self) -> tuple[int, int]:
        """Delete every job and file whose time is up; returns how many of each."""
        seconds, micros = await self.jobs.redis.time()
        now_ms = seconds * 1000 + micros // 1000
        jobs_done = files_done = 0
        while due := await self.jobs.expired(now_ms, BATCH):
            for request_id in due:
                job = await self.jobs.get(request_id)
                if job is not None:
                    with contextlib.suppress(NotFound):  # another janitor, or the owner, was first
                        await delete_job(self.jobs, self.files, request_id, job.owner)
                        jobs_done += 1
                await self.jobs.forget_expiry(request_id)  # done, or gone already
        while due := await self.files.expired(now_ms, BATCH):
            for file_id in due:
                record = await self.files.find(file_id)
                if record is not None:
                    with contextlib.suppress(NotFound):
                        await self.files.delete(file_id, record.owner)
                        files_done += 1
                await self.files.forget_expiry(file_id)
        return jobs_done, files_done

    async def run(self) -> None:
        """Sweep every ``interval_s`` until :meth:`stop`, waiting out Redis outages."""
        backoff = Backoff("retention janitor")
        while not self._stopping.is_set():
            try:
                await self.sweep()
                backoff.succeeded()
            except AWAY as exc:
                # Redis or the file store away: what was not deleted stays due and is swept later.
                await backoff.failed(exc)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    def stop(self) -> None:
        self._stopping.set()
