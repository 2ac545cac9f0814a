"""Turn stored records into the API's response objects."""

from __future__ import annotations

from typing import Any

from serve_app.access.signed_urls import UrlSigner
from serve_app.clock import parse_iso
from serve_app.contract.schemas import (
    FileInfo,
    FileObject,
    Interpretation,
    QueueLinks,
    ResultResponse,
    StatusResponse,
    SubmitResponse,
    WebhookData,
    WebhookPayload,
)
from serve_app.files.store import FileRecord
from serve_app.jobs.planning import JobPlan
from serve_app.jobs.record import JobRecord, JobStatus


def links(base: str, request_id: str) -> QueueLinks:
    root = f"{base}/v1/queue/requests/{request_id}"
    return QueueLinks(status_url=f"{root}/status", stream_url=f"{root}/status/stream", result_url=f"{root}/result")


def interpretation_view(plan: JobPlan) -> Interpretation:
    """The reading and what serves it; an ensemble's method names each member's."""
    reading, members = plan.reading, plan.members
    method = (
        members[0].plan.method
        if len(members) == 1
        else "mean of " + ", ".join(f"{m.backend}:{m.plan.method}" for m in members)
    )
    return Interpretation(
        **reading.target.model_dump(),
        inverted=reading.inverted,
        keep=reading.keep,
        remove=reading.remove,
        vague=reading.vague,
        backend=plan.backend,
        method=method,
    )


def submit_view(request_id: str, created_at: str, plan: JobPlan, warnings: list[str], base: str) -> SubmitResponse:
    """The 202 a submit answers: the same for the first request and its idempotent retries."""
    return SubmitResponse(
        request_id=request_id,
        status=JobStatus.IN_QUEUE,
        created_at=created_at,
        interpretation=interpretation_view(plan),
        warnings=warnings or None,
        **links(base, request_id).model_dump(),
    )


def _interpretation(job: JobRecord) -> Interpretation | None:
    return interpretation_view(JobPlan.model_validate(job.plan)) if job.plan else None


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
        interpretation=_interpretation(job),
        warnings=job.warnings or None,
        **links(base, job.request_id).model_dump(),
    )


def event_view(job: JobRecord, event: dict[str, Any], base: str) -> StatusResponse:
    """The status object as of a logged event. ``job`` may be newer than the
    event, so what changes from state to state comes from the event."""
    status = JobStatus(event["status"])
    then = job.model_copy(
        update={
            "status": status,
            "started_at": None if status is JobStatus.IN_QUEUE else job.started_at,
            "completed_at": job.completed_at if status.terminal else None,
            "progress": event.get("progress"),
            "error": event.get("error"),
        }
    )
    return status_view(then, base, event.get("queue_position"))


def file_object(record: FileRecord | dict, base: str, signer: UrlSigner) -> FileObject:
    data = record.model_dump() if isinstance(record, FileRecord) else record
    url = f"{base}/v1/files/{data['file_id']}/content"
    return FileObject(
        url=url,
        # A link never outlives its file.
        signed_url=f"{url}?{signer.query(data['file_id'], not_after=_timestamp(data.get('expires_at')))}",
        **{k: data.get(k) for k in FileObject.model_fields if k not in ("url", "signed_url")},
    )


def _timestamp(iso_time: str | None) -> float | None:
    return parse_iso(iso_time).timestamp() if iso_time else None


def file_info(record: FileRecord, base: str, signer: UrlSigner) -> FileInfo:
    return FileInfo(
        **file_object(record, base, signer).model_dump(), created_at=record.created_at, purpose=record.purpose
    )


def result_view(job: JobRecord, base: str, signer: UrlSigner) -> ResultResponse:
    result = job.result or {}
    return ResultResponse(
        request_id=job.request_id,
        status=job.status,
        model=job.model,
        target=file_object(result["target"], base, signer),
        residual=file_object(result["residual"], base, signer),
        duration=result["duration"],
        sample_rate=result["sample_rate"],
        channels=result["channels"],
        # The backend that served it: a concept route may have chosen another than the submitted one.
        backend=JobPlan.model_validate(job.plan).backend if job.plan else job.backend,
        interpretation=_interpretation(job),
        timings=result["timings"],
        # Submit-time warnings (the prompt) and run-time ones (the plan, clipped spans).
        warnings=[*job.warnings, *result.get("warnings", [])],
    )


def webhook_payload(job: JobRecord, base: str, signer: UrlSigner) -> WebhookPayload:
    """What a finished job's webhook says: the status object and, when COMPLETED,
    the result (its signed links let a receiver download without an API key)."""
    result = result_view(job, base, signer) if job.status is JobStatus.COMPLETED else None
    return WebhookPayload(
        type=f"request.{job.status.value.lower()}",
        timestamp=job.completed_at,
        data=WebhookData(**status_view(job, base).model_dump(), result=result),
    )
