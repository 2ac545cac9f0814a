"""Turn stored records into the API's response objects."""

from __future__ import annotations

from serve_app.api.schemas import FileInfo, FileObject, QueueLinks, ResultResponse, StatusResponse
from serve_app.jobs.record import JobRecord, JobStatus
from serve_app.storage.files import FileRecord


def links(base: str, request_id: str) -> QueueLinks:
    root = f"{base}/v1/queue/requests/{request_id}"
    return QueueLinks(status_url=f"{root}/status", stream_url=f"{root}/status/stream", result_url=f"{root}/result")


def status_view(job: JobRecord, base: str, queue_position: int | None = None) -> StatusResponse:
    running = job.status is JobStatus.IN_PROGRESS
    return StatusResponse(
        request_id=job.request_id,
        status=job.status,
        model=job.model,
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
        queue_position=queue_position if job.status is JobStatus.IN_QUEUE else None,
        progress=job.progress if running else None,
        cancel_requested=True if (running and job.cancel_requested) else None,
        error=job.error,
        warnings=job.warnings or None,
        **links(base, job.request_id).model_dump(),
    )


def file_object(record: FileRecord | dict, base: str) -> FileObject:
    data = record.model_dump() if isinstance(record, FileRecord) else record
    return FileObject(url=f"{base}/v1/files/{data['file_id']}/content", **{
        k: data[k] for k in FileObject.model_fields if k != "url"
    })


def file_info(record: FileRecord, base: str) -> FileInfo:
    return FileInfo(
        **file_object(record, base).model_dump(), created_at=record.created_at, purpose=record.purpose
    )


def result_view(job: JobRecord, base: str) -> ResultResponse:
    result = job.result or {}
    return ResultResponse(
        request_id=job.request_id,
        status=job.status,
        model=job.model,
        target=file_object(result["target"], base),
        residual=file_object(result["residual"], base),
        duration=result["duration"],
        sample_rate=result["sample_rate"],
        channels=result["channels"],
        backend=job.backend,
        interpretation=job.plan,
        timings=result["timings"],
        warnings=job.warnings,
    )
