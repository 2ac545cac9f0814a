"""One job, start to finish: fetch -> decode -> separate (``separation``) ->
encode -> store. Returns the result record; raises ServiceError (job FAILED),
JobStopped (cancelled); whatever the progress callback raises (a lost lease) passes through."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from serve_app import ids
from serve_app.audio.decode import decode, probe
from serve_app.audio.encode import encode
from serve_app.audio.formats import encoding_for
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
    stored: list[FileRecord] = []  # result tracks recorded so far, removed again if a later step fails
    try:
        if job.input.get("file_id"):
            try:
                source = await files.stage(job.input["file_id"], work)
            except FileNotFoundError:
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
        info = await asyncio.to_thread(probe, source, settings)
        mixture, sample_rate = await asyncio.to_thread(decode, source, settings)
        timings["decode_s"] = time.perf_counter() - t
        encoding = encoding_for(job.input.get("output_format", "wav"), info.format, info.subtype)
        encoding.check_channels(mixture.shape[0])  # before the separation it would waste

        spans, warnings = clip_spans(spans, mixture.shape[1] / sample_rate)
        t = time.perf_counter()
        target = await separate_audio(
            mixture, sample_rate, members, spans, progress, chunks_in_flight, inverted, visual
        )
        residual = mixture - target
        timings["separate_s"] = time.perf_counter() - t

        t = time.perf_counter()
        result: dict[str, Any] = {}
        for role, audio in (("target", target), ("residual", residual)):
            file_id = ids.new_id("file")
            path = files.temp_path(file_id)
            made.append(path)
            size, rate = await asyncio.to_thread(encode, audio, sample_rate, encoding, path)
            record = FileRecord(
                file_id=file_id,
                owner=job.owner,
                purpose="result",
                file_name=f"{job.request_id}_{role}.{encoding.extension}",
                content_type=encoding.content_type,
                file_size=size,
                duration=mixture.shape[1] / sample_rate,
                sample_rate=rate,
                channels=mixture.shape[0],
                created_at=now_iso(),
                request_id=job.request_id,
            )
            record = await files.add(record, path)
            stored.append(record)
            result[role] = record.model_dump()
        timings["encode_s"] = time.perf_counter() - t
        if encoding.rate_for(sample_rate) != sample_rate:
            warnings.append(
                f"{encoding.extension} does not take {sample_rate} Hz audio; the tracks were resampled to "
                f"{encoding.rate_for(sample_rate)} Hz."
            )
    except BaseException:
        for record in stored:
            with contextlib.suppress(Exception):  # best effort: retention removes what this misses
                await files.delete(record.file_id, record.owner)
        raise
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
