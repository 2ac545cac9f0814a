"""The queue API: submit, list, status, result, cancel, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from serve_app import ids
from serve_app.access import idempotency
from serve_app.api.backends import get_separators, require_visual
from serve_app.api.deps import base_url, get_ctx, get_owner, idempotency_key_header
from serve_app.api.listing import IdRange, id_range
from serve_app.audio.formats import ENCODINGS
from serve_app.clock import iso_from_ms
from serve_app.context import ServiceContext
from serve_app.contract.schemas import (
    CancelResponse,
    ErrorEnvelope,
    RequestList,
    ResultResponse,
    SeparateRequest,
    Span,
    StatusResponse,
    SubmitResponse,
    error_responses,
)
from serve_app.contract.views import result_view, status_view, submit_view
from serve_app.errors import Conflict, ErrorType, FetchError, ServiceError
from serve_app.jobs.planning import JobPlan, Planner
from serve_app.jobs.record import JobRecord, JobStatus
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.outbound.fetch import check_url
from serve_app.retention import delete_job
from serve_app.routing import resolve_backend

router = APIRouter(prefix="/v1/queue", tags=["queue"])
_errors = error_responses(401, 404, 409, 422, 429, 503)


# Spans may run this far past the end of a file (rounding in clients' waveform views).
SPAN_END_TOLERANCE_S = 0.05


def _check_spans_within(spans: list[Span], duration: float) -> None:
    """A 422 naming the first span outside a file whose duration is known (an upload)."""
    for i, span in enumerate(spans):
        if span.end > duration + SPAN_END_TOLERANCE_S:
            raise ServiceError(
                f"The span {span.start:g}-{span.end:g} s reaches past the end of the audio ({duration:.2f} s); "
                "keep spans within the recording.",
                type=ErrorType.INVALID_SPANS,
                field=f"input.spans[{i}]",
                status_code=422,
            )


async def _check_public(url: str, ctx: ServiceContext, field: str) -> None:
    """Refuse non-public URLs now. A name that does not resolve at the moment is
    accepted: DNS failures are often transient, and the URL is checked again,
    hop by hop, when it is used."""
    try:
        await check_url(url, ctx.settings, field=field)
    except FetchError:
        pass


@dataclass(frozen=True)
class _Accepted:
    """A submit's input, checked and planned: what its job is created with."""

    backend: str
    job_input: dict[str, Any]
    plan: JobPlan
    audio_ms: int  # 0 when unknown until fetched (an audio_url)


def _urls(body: SeparateRequest) -> list[tuple[str, str]]:
    """(field, URL) for each URL a submit names: each is resolved before the job is accepted.
    The input's validator ensures exactly one source, and a video only with its mask."""
    inp = body.input
    named = {"input.audio_url": inp.audio_url, "input.video_url": inp.video_url, "input.mask_url": inp.mask_url}
    named["webhookUrl"] = body.webhook_url
    return [(field, url) for field, url in named.items() if url is not None]


async def _accept(
    body: SeparateRequest,
    owner: str,
    ctx: ServiceContext,
    separators: Mapping[str, SeparatorClient],
    planner: Planner,
) -> _Accepted:
    """Check a submit's input against everything a schema cannot say, and plan its job;
    raises the first refusal (a 4xx ServiceError)."""
    inp = body.input
    audio_ms = 0
    if inp.file_id is not None:
        try:
            upload = await ctx.files.get_owned(inp.file_id, owner)
        except ServiceError:
            raise ServiceError(
                f"No uploaded file with id {inp.file_id!r}; upload it with POST /v1/files first.",
                type=ErrorType.FILE_NOT_FOUND,
                field="input.file_id",
                status_code=422,
            ) from None
        _check_spans_within(inp.spans, upload.duration)
        audio_ms = int(upload.duration * 1000)
        if inp.output_format in ENCODINGS:  # "same" always fits the input
            ENCODINGS[inp.output_format].check_channels(upload.channels)
    backend = resolve_backend(ctx.backends, inp.backend, inp.model_variant)
    if inp.video_url is not None:
        await require_visual(backend, separators)
    for field, url in _urls(body):
        await _check_public(url, ctx, field)

    job_input = inp.model_dump(mode="json")

    async def available(key: str) -> bool:
        return (await separators[key].status()).available

    plan = await planner.plan(job_input, backend, available)
    return _Accepted(backend, job_input, plan, audio_ms)


@router.post(
    "/audio/separate",
    status_code=202,
    response_model=SubmitResponse,
    response_model_exclude_none=True,
    responses={**_errors, 403: {"model": ErrorEnvelope, "description": "The key's storage quota is full."}},
    summary="Submit a separation job",
)
async def submit(
    body: SeparateRequest,
    request: Request,
    response: Response,
    idempotency_key: str | None = idempotency_key_header("the original job"),
    owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
    separators: Mapping[str, SeparatorClient] = Depends(get_separators),
) -> SubmitResponse:
    """Start a job from a public `audio_url` or an uploaded `file_id`. Returns at once, with
    how the prompt was read; a prompt the chosen backend cannot serve gets a 422."""
    settings = ctx.settings
    request_fingerprint = idempotency.fingerprint(body.model_dump(mode="json"))
    if idempotency_key is not None:
        earlier = await ctx.idempotency.recall(owner, "submit", idempotency_key, request_fingerprint)
        if earlier is not None and (job := await ctx.jobs.get(earlier)) is not None:
            return _replayed(job, response, base_url(request, ctx))
    # First the key's rate limit, then its storage quota (its results would need room). They
    # run inside the submit script, which saves their two round trips. A submit that stops
    # before that script (its input refused, or an Idempotency-Key to bind) runs them on their
    # own first, so it is refused (429, 403) and counted just as if they had come first. So
    # does a submit naming a URL (its checks resolve names, which a client over its limit must
    # not make the service do) and one with an Idempotency-Key (a refused submit binds nothing).
    admission = ctx.limits.admission("submit", owner, settings.submits_per_minute, settings.storage_quota_bytes)
    admitted = bool(_urls(body)) or idempotency_key is not None
    if admitted:
        await ctx.limits.admit(admission)
    try:
        accepted = await _accept(body, owner, ctx, separators, request.app.state.planner)
    except Exception:
        if not admitted:
            await ctx.limits.admit(admission)  # its refusal, if any, takes the input's place
        raise
    request_id = ids.new_id("req")
    if idempotency_key is not None:
        request_id = await ctx.idempotency.bind(owner, "submit", idempotency_key, request_fingerprint, request_id)
    created_at = iso_from_ms(ids.made_at_ms(request_id))  # the id's own time: listings by time agree
    base = base_url(request, ctx)
    plan = accepted.plan
    submitted = await ctx.jobs.submit(
        request_id=request_id,
        owner=owner,
        backend=accepted.backend,
        input=accepted.job_input,
        plan=plan.model_dump(mode="json"),
        webhook_url=body.webhook_url,
        warnings=plan.warnings,
        created_at=created_at,
        base_url=base,
        max_queued_per_owner=settings.max_queued_per_key,
        max_queue_length=settings.max_queue_length,
        serving=plan.backend,
        audio_ms=accepted.audio_ms,
        admission=None if admitted else admission,
    )
    if submitted is None:  # a concurrent request with the same key created it first
        return _replayed(await ctx.jobs.require(request_id), response, base)
    ctx.metrics.job_submitted(plan.backend)
    return submit_view(request_id, created_at, plan, plan.warnings, base)


def _replayed(job: JobRecord, response: Response, base: str) -> SubmitResponse:
    """The original 202 of a job, for a retry with its idempotency key."""
    response.headers[idempotency.REPLAYED_HEADER] = "true"
    return submit_view(job.request_id, job.created_at, JobPlan.model_validate(job.plan), job.warnings, base)


@router.get(
    "/requests",
    response_model=RequestList,
    responses=error_responses(401, 422, 429),
    summary="List this key's requests",
)
async def list_requests(
    request: Request,
    status: list[JobStatus] | None = Query(None, description="Only requests in these states (repeat to give several)."),
    page: IdRange = Depends(id_range("req")),
    owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
) -> JSONResponse:
    """Newest first, a page at a time: follow `next_cursor` until it is null. Each item is the
    request's status object, as `status_url` returns it."""
    jobs, next_cursor = await ctx.jobs.list_owned(
        owner, newest=page.newest, oldest=page.oldest, limit=page.limit, statuses=frozenset(status) if status else None
    )
    base = base_url(request, ctx)
    views = [
        status_view(
            job, base, await ctx.jobs.queue_position(job.request_id) if job.status is JobStatus.IN_QUEUE else None
        )
        for job in jobs
    ]
    # Items as status_url shows them (no nulls), while next_cursor is always present.
    return JSONResponse(
        {"data": [v.model_dump(mode="json", exclude_none=True) for v in views], "next_cursor": next_cursor}
    )


@router.delete(
    "/requests/{request_id}",
    status_code=204,
    responses={**_errors, 409: {"model": ErrorEnvelope, "description": "The job has not finished."}},
    summary="Delete a finished request and its result files",
)
async def delete_request(request_id: str, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)):
    """Removes a COMPLETED, FAILED or CANCELLED request: its status, events, webhook delivery
    log and result tracks. The uploaded input file stays (delete it with `DELETE /v1/files/{id}`).
    A queued or running request answers 409: cancel it first."""
    await delete_job(ctx.jobs, ctx.files, request_id, owner)
    return Response(status_code=204)


@router.get(
    "/requests/{request_id}/status",
    response_model=StatusResponse,
    response_model_exclude_none=True,
    responses=_errors,
    summary="Job status (the durable wait path)",
)
async def status(
    request_id: str, request: Request, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)
) -> StatusResponse:
    job = await ctx.jobs.get_owned(request_id, owner)
    position = await ctx.jobs.queue_position(request_id) if job.status is JobStatus.IN_QUEUE else None
    return status_view(job, base_url(request, ctx), position)


@router.get(
    "/requests/{request_id}/result",
    response_model=ResultResponse,
    response_model_exclude_none=True,
    responses={
        **_errors,
        202: {"model": StatusResponse, "description": "Not finished yet: the status object."},
        409: {"model": StatusResponse, "description": "FAILED or CANCELLED: the status object with its error."},
    },
    summary="Job result: target and residual tracks",
)
async def result(
    request_id: str, request: Request, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)
):
    """200 with the result once COMPLETED; before that the status object with 202
    (still running) or 409 (FAILED/CANCELLED) — never a partial result."""
    job = await ctx.jobs.get_owned(request_id, owner)
    base = base_url(request, ctx)
    if job.status is JobStatus.COMPLETED:
        return result_view(job, base, await ctx.signing.signer())
    position = await ctx.jobs.queue_position(request_id) if job.status is JobStatus.IN_QUEUE else None
    view = status_view(job, base, position)
    return JSONResponse(
        view.model_dump(mode="json", exclude_none=True), status_code=409 if job.status.terminal else 202
    )


@router.put(
    "/requests/{request_id}/cancel",
    response_model=CancelResponse,
    responses={
        **_errors,
        200: {"model": CancelResponse, "description": "The job is CANCELLED (now, or already before)."},
        202: {"model": CancelResponse, "description": "The job is running; it stops at its next chunk."},
        409: {"model": ErrorEnvelope, "description": "The job already COMPLETED or FAILED."},
    },
    summary="Cancel a job",
)
async def cancel(request_id: str, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)):
    """Idempotent; the answer depends only on the job's state:

    | state | answer |
    |---|---|
    | IN_QUEUE | 200, `status: CANCELLED`: it never starts |
    | IN_PROGRESS | 202, `status: IN_PROGRESS`, `cancel_requested: true`: it stops at its next chunk |
    | CANCELLED | 200, `status: CANCELLED`, as the first cancel answered |
    | COMPLETED, FAILED | 409 `conflict`: there is nothing to cancel |
    """
    await ctx.jobs.get_owned(request_id, owner)
    after = await ctx.jobs.cancel(request_id)
    if after in (JobStatus.COMPLETED, JobStatus.FAILED):
        raise Conflict(f"The request already finished with status {after.value}; there is nothing to cancel.")
    body = CancelResponse(request_id=request_id, status=after, cancel_requested=True)
    return JSONResponse(body.model_dump(mode="json"), status_code=202 if after is JobStatus.IN_PROGRESS else 200)
