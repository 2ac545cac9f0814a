"""The files API: upload (checked on arrival), list, metadata, content, delete."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from serve_app import ids
from serve_app.access import idempotency
from serve_app.api.deps import base_url, bearer, get_ctx, get_owner, idempotency_key_header
from serve_app.api.listing import IdRange, id_range
from serve_app.audio.decode import decode, probe
from serve_app.audio.formats import CONTAINERS
from serve_app.clock import now_iso
from serve_app.context import ServiceContext
from serve_app.contract.schemas import ErrorEnvelope, FileInfo, FileList, error_responses
from serve_app.contract.views import file_info
from serve_app.errors import AudioError, ErrorType, NotFound, PayloadTooLarge
from serve_app.files.blobs import CHUNK, LocalBlobs
from serve_app.files.store import FileRecord

router = APIRouter(prefix="/v1/files", tags=["files"])
_errors = error_responses(401, 404, 413, 422, 429)
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def _clean_name(name: str | None) -> str:
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", base).strip()[:200] or "upload"


@router.post(
    "",
    status_code=201,
    response_model=FileInfo,
    responses={**_errors, 403: {"model": ErrorEnvelope, "description": "The key's storage quota is full."}},
    summary="Upload an audio file",
)
async def upload(
    request: Request,
    response: Response,
    file: UploadFile = File(description="The recording (WAV, FLAC, OGG, MP3, AIFF, ...)."),
    idempotency_key: str | None = idempotency_key_header("the original file object"),
    owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
) -> FileInfo:
    """The file is decoded and checked on arrival: an undecodable, empty, oversize
    or overlong file is refused with a 4xx that says why."""
    quota = ctx.settings.storage_quota_bytes
    await ctx.limits.admit(ctx.limits.admission("upload", owner, ctx.settings.uploads_per_minute, quota))
    limit = ctx.settings.max_upload_bytes
    file_id = ids.new_id("file")
    tmp = ctx.files.temp_path(file_id)
    name = _clean_name(file.filename)
    try:
        size, digest = 0, hashlib.sha256()
        with open(tmp, "wb") as out:
            while block := await file.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise PayloadTooLarge(f"The file is larger than the {limit} byte limit.", field="file")
                out.write(block)
                digest.update(block)
        if idempotency_key is not None:
            request_fingerprint = idempotency.fingerprint(digest.hexdigest(), name)
            earlier = await ctx.idempotency.recall(owner, "upload", idempotency_key, request_fingerprint)
            if earlier is not None and (record := await ctx.files.find(earlier)) is not None:
                return await _replayed(record, request, response, ctx)
        if size == 0:
            raise AudioError("The uploaded file is empty.", type=ErrorType.EMPTY_AUDIO, field="file")
        info = await asyncio.to_thread(probe, tmp, ctx.settings)
        await asyncio.to_thread(decode, tmp, ctx.settings)
        if idempotency_key is not None:
            file_id = await ctx.idempotency.bind(owner, "upload", idempotency_key, request_fingerprint, file_id)
            if (record := await ctx.files.find(file_id)) is not None:  # a concurrent retry stored it first
                return await _replayed(record, request, response, ctx)
        record = FileRecord(
            file_id=file_id,
            owner=owner,
            purpose="upload",
            file_name=name,
            content_type=CONTAINERS.get(info.format, ("application/octet-stream", ""))[0],
            file_size=size,
            duration=info.duration,
            sample_rate=info.sample_rate,
            channels=info.channels,
            created_at=now_iso(),
        )
        record = await ctx.files.add(record, tmp, quota_bytes=quota)
        ctx.metrics.uploaded(size)
    except AudioError as exc:
        exc.field = exc.field or "file"
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return file_info(record, base_url(request, ctx), await ctx.signing.signer())


async def _replayed(record: FileRecord, request: Request, response: Response, ctx: ServiceContext) -> FileInfo:
    """The original answer to an upload, for a retry with its idempotency key."""
    response.headers[idempotency.REPLAYED_HEADER] = "true"
    return file_info(record, base_url(request, ctx), await ctx.signing.signer())


@router.get("", response_model=FileList, responses=error_responses(401, 422, 429), summary="List this key's files")
async def list_files(
    request: Request,
    purpose: Literal["upload", "result"] | None = Query(None, description="Only uploads, or only result tracks."),
    page: IdRange = Depends(id_range("file")),
    owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
) -> FileList:
    """Newest first, a page at a time: follow `next_cursor` until it is null."""
    records, next_cursor = await ctx.files.list_owned(
        owner, newest=page.newest, oldest=page.oldest, limit=page.limit, purpose=purpose
    )
    base, signer = base_url(request, ctx), await ctx.signing.signer()
    return FileList(data=[file_info(r, base, signer) for r in records], next_cursor=next_cursor)


@router.get("/{file_id}", response_model=FileInfo, responses=_errors, summary="File metadata")
async def get_file(
    file_id: str, request: Request, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)
) -> FileInfo:
    return file_info(await ctx.files.get_owned(file_id, owner), base_url(request, ctx), await ctx.signing.signer())


class TrackResponse(FileResponse):
    """A stored file's bytes in the pieces a stored object streams in (1 MiB): each piece is a
    message through Serve's proxy, and Starlette's 64 KiB made a 60 s track 160 of them
    (bench/README.md 6)."""

    chunk_size = CHUNK


@router.get(
    "/{file_id}/content",
    response_class=FileResponse,
    responses={**_errors, 200: {"content": {"audio/*": {}}, "description": "The file's bytes."}},
    summary="Download a file",
)
async def get_content(
    file_id: str,
    request: Request,
    ctx: ServiceContext = Depends(get_ctx),
    _key: object = Depends(bearer),
    expires: int | None = Query(None, description="Signed links only: expiry, Unix seconds."),
    signature: str | None = Query(None, description="Signed links only: the link's signature."),
):
    """With the API key, or with no key through a file object's `signed_url`."""
    if getattr(request.state, "signed_file", None) == file_id:
        record = await ctx.files.get(file_id)
    else:
        record = await ctx.files.get_owned(file_id, request.state.owner)
    blobs = ctx.files.blobs
    gone = NotFound(f"The bytes of file {file_id!r} are gone (expired or deleted).", field="file_id")
    if isinstance(blobs, LocalBlobs):
        path = blobs.local_path(file_id)
        if not path.exists():
            raise gone
        return TrackResponse(path, media_type=record.content_type, filename=record.file_name)
    if ctx.settings.s3_downloads == "presigned":
        # Straight from the store, for no longer than the signed link itself had left.
        ttl = ctx.settings.s3_presign_ttl_s
        if expires is not None and getattr(request.state, "signed_file", None) == file_id:
            ttl = min(ttl, max(1, int(expires - time.time())))
        url = blobs.presigned_url(file_id, ttl, record.file_name, record.content_type)
        return RedirectResponse(url, status_code=307)
    try:
        length, chunks = await blobs.open(file_id)
    except FileNotFoundError:
        raise gone
    return StreamingResponse(
        chunks,
        media_type=record.content_type,
        headers={"Content-Length": str(length), "Content-Disposition": _attachment(record.file_name)},
    )


def _attachment(file_name: str) -> str:
    """Content-Disposition for a download, as FileResponse writes it (RFC 6266 for non-ASCII names)."""
    quoted = quote(file_name)
    if quoted != file_name:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{file_name}"'


@router.delete("/{file_id}", status_code=204, responses=_errors, summary="Delete a file")
async def delete_file(file_id: str, owner: str = Depends(get_owner), ctx: ServiceContext = Depends(get_ctx)):
    await ctx.files.delete(file_id, owner)
    return Response(status_code=204)
