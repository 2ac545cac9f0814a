"""One job, start to finish: fetch -> decode -> separate (``separation``) ->
encode -> store. Returns the result record; raises ServiceError (job FAILED),
JobStopped (cancelled or lease lost)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from serve_app import ids
from serve_app.audio.decode import decode
from serve_app.audio.encode import CONTENT_TYPES, encode
from serve_app.backend import SpanHint
from serve_app.clock import now_iso, parse_iso
from serve_app.config import Settings
from serve_app.errors import ErrorType, ServiceError
from serve_app.files.store import FileRecord, FileStore
from serve_app.jobs.record import JobRecord
from serve_app.jobs.separation import Member, ProgressFn, clip_spans, separate_audio
from serve_app.jobs.visual import fetch_visual_prompt
from serve_app.outbound.fetch import download


async def run_job(
    job: JobRecord,
    files: FileStore,
    settings: Settings,
    members: list[Member],
    inverted: bool,
    progress: ProgressFn,
    chunks_in_flight: int = 4,
) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    spans = [SpanHint.model_validate(s) for s in job.input.get("spans", [])]

    work = files.temp_path(f"{job.request_id}.src")
    made: list[Path] = []
    try:
        if job.input.get("file_id"):
            source = files.path(job.input["file_id"])
            if not source.exists():
                raise ServiceError(
                    "The uploaded file was deleted before the job started; upload it again.",
                    type=ErrorType.FILE_NOT_FOUND,
                    field="input.file_id",
                )
        else:
            source = await download(job.input["audio_url"], work, settings)
        visual = await fetch_visual_prompt(job.input, files, settings, job.request_id)
        timings["fetch_s"] = time.perf_counter() - t0

        t = time.perf_counter()
        mixture, sample_rate = await asyncio.to_thread(decode, source, settings)
        timings["decode_s"] = time.perf_counter() - t

        spans, warnings = clip_spans(spans, mixture.shape[1] / sample_rate)
        t = time.perf_counter()
        target = await separate_audio(
            mixture, sample_rate, members, spans, progress, chunks_in_flight, inverted, visual
        )
        residual = mixture - target
        timings["separate_s"] = time.perf_counter() - t

        t = time.perf_counter()
        fmt = job.input.get("output_format", "wav")
        result: dict[str, Any] = {}
        for role, audio in (("target", target), ("residual", residual)):
            file_id = ids.new_id("file")
            path = files.temp_path(file_id)
            made.append(path)
            size = await asyncio.to_thread(encode, audio, sample_rate, fmt, path)
            record = FileRecord(
                file_id=file_id,
                owner=job.owner,
                purpose="result",
                file_name=f"{job.request_id}_{role}.{fmt}",
                content_type=CONTENT_TYPES[fmt],
                file_size=size,
                duration=mixture.shape[1] / sample_rate,
                sample_rate=sample_rate,
                channels=mixture.shape[0],
                created_at=now_iso(),
                request_id=job.request_id,
            )
            await files.add(record, path)
            result[role] = record.model_dump()
        timings["encode_s"] = time.perf_counter() - t
    finally:
        work.unlink(missing_ok=True)
        for path in made:
            path.unlink(missing_ok=True)

    started = parse_iso(job.started_at) if job.started_at else None
    created = parse_iso(job.created_at)
    timings["queue_s"] = (started - created).total_seconds() if started else 0.0
    timings["total_s"] = (parse_iso(now_iso()) - created).total_seconds()
    return {
        **result,
        "warnings": warnings,
        "duration": mixture.shape[1] / sample_rate,
        "sample_rate": sample_rate,
        "channels": mixture.shape[0],
        "timings": {k: round(v, 4) for k, v in timings.items()},
    }
