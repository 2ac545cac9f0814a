"""The live status stream: Server-Sent Events replayed from the job's event log.

Every event is read from Redis (the per-job stream that jobs/store.py writes on
every transition) and carries its stream entry id, so a client that reconnects
with ``Last-Event-ID`` — to any Ingress replica — gets exactly the events it
missed. A new stream starts with the latest event (the current state) and ends
after the terminal one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import format_sse_event

from serve_app.api.deps import base_url, get_ctx, get_owner
from serve_app.context import ServiceContext
from serve_app.contract.schemas import ErrorEnvelope
from serve_app.contract.views import event_view
from serve_app.jobs.record import JobStatus

router = APIRouter(prefix="/v1/queue", tags=["queue"])

KEEPALIVE = b": keep-alive\n\n"
EVENT_ID_PATTERN = r"^\d+-\d+$"  # a Redis stream entry id


async def follow(ctx: ServiceContext, request_id: str, base: str, last_event_id: str | None) -> AsyncIterator[bytes]:
    """SSE bytes for one job: the events after ``last_event_id`` (or the latest
    one), then each new one as it is logged, until the terminal event."""
    jobs = ctx.jobs
    keepalive_s = ctx.settings.sse_keepalive_s
    step_s = min(keepalive_s, ctx.settings.redis_block_s)
    idle_s = 0.0
    # Take the queue-moves cursor before logging the position, so no move after it goes unseen.
    moves: str | None = await jobs.queue_moves_cursor()
    await jobs.log_position(request_id)
    cursor = last_event_id or await jobs.before_last_event(request_id)
    while True:
        # Read the record before the log: if it is terminal now, its terminal event is in what we read.
        job = await jobs.require(request_id)
        batch = await jobs.events(request_id, after=cursor)
        if batch:
            job = await jobs.require(request_id)  # at least as new as every event in the batch
            for event_id, event in batch:
                view = event_view(job, event, base)
                yield format_sse_event(data_str=view.model_dump_json(exclude_none=True), id=event_id)
                if view.status.terminal:
                    return
            cursor = batch[-1][0]
            idle_s = 0.0
            continue
        if job.status.terminal:
            return  # the client already has the terminal event
        queued = job.status is JobStatus.IN_QUEUE
        woke, moves = await jobs.wait_events(request_id, cursor, moves if queued else None, step_s)
        if not woke:
            idle_s += step_s
            if idle_s >= keepalive_s:
                yield KEEPALIVE
                idle_s = 0.0
        elif queued:
            await jobs.log_position(request_id)


# One event of the stream (OpenAPI 3.1 reads a text/event-stream schema per event): its
# `data` is the status object as JSON.
EVENT_SCHEMA = {
    "type": "object",
    "required": ["data", "id"],
    "properties": {
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/StatusResponse"},
        },
        "id": {"type": "string", "description": "Send it back as Last-Event-ID to resume after it."},
        "event": {"type": "string", "enum": ["message"]},
    },
}


@router.get(
    "/requests/{request_id}/status/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events. Each `data:` is the status object (as the status "
            "endpoint returns it) and each event has an `id:`; comment lines (`: keep-alive`) "
            "are sent while nothing changes. The stream ends after a terminal event.",
            "content": {"text/event-stream": {"schema": EVENT_SCHEMA}},
        },
        **{code: {"model": ErrorEnvelope} for code in (401, 404, 422)},
    },
    summary="Live job status (Server-Sent Events)",
)
async def status_stream(
    request_id: str,
    request: Request,
    last_event_id: str | None = Header(
        None,
        alias="Last-Event-ID",
        pattern=EVENT_ID_PATTERN,
        description="Resume after this event id: every event logged since is replayed, none twice.",
    ),
    owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
) -> StreamingResponse:
    """Follow a job live: `IN_QUEUE` (with `queue_position` each time it changes)
    → `IN_PROGRESS` (with `progress` per chunk) → the terminal state. A stream
    opened after the job ended sends the terminal event and closes."""
    await ctx.jobs.get_owned(request_id, owner)
    return StreamingResponse(
        follow(ctx, request_id, base_url(request, ctx), last_event_id),
        media_type="text/event-stream",
        # No caching, and no buffering by nginx-style proxies in front of the service.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
