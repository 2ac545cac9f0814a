"""File records (Redis) and their bytes (a blob store: ``files.blobs``).

Each file expires after the lifetime of its purpose (uploads, results) and counts
against its owner's quota until it is deleted. Temporary files (an upload being
received, a job's staged input and encoded tracks) live in ``AUDIOLASSO_DATA_DIR/tmp``
on the replica's own disk, whatever the blob store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel

from serve_app.clock import iso
from serve_app.errors import ErrorType, NotFound, ServiceError
from serve_app.files.blobs import Blobs
from serve_app.store import index, scripts
from serve_app.store.keys import RedisKeys


class FileRecord(BaseModel):
    file_id: str
    owner: str
    purpose: Literal["upload", "result"]
    file_name: str
    content_type: str
    file_size: int
    duration: float
    sample_rate: int
    channels: int
    created_at: str
    request_id: str | None = None
    expires_at: str | None = None  # when the janitor deletes it; None: kept until deleted


class QuotaExceeded(ServiceError):
    status_code = 403
    type = ErrorType.STORAGE_QUOTA_EXCEEDED


class FileStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        keys: RedisKeys,
        blobs: Blobs,
        tmp_dir: Path,
        lifetimes_s: Mapping[str, int] | None = None,  # by purpose; 0 or absent: kept until deleted
    ):
        self.redis = redis
        self.keys = keys
        self.blobs = blobs
        self.lifetimes_s = dict(lifetimes_s or {})
        self._add = scripts.register(redis, "file_add")
        self._delete = scripts.register(redis, "file_delete")
        self.tmp = Path(tmp_dir)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def temp_path(self, name: str) -> Path:
        return self.tmp / name

    async def stage(self, file_id: str, work: Path) -> Path:
        """A local path holding the file's bytes (downloaded to ``work`` from an object store;
        the caller removes ``work``). FileNotFoundError when the bytes are gone."""
        return await self.blobs.stage(file_id, work)

    async def add(self, record: FileRecord, src: Path, quota_bytes: int = 0) -> FileRecord:
        """Move ``src`` into storage and record it, with its expiry. The bytes land first, so a
        record never points at a missing file. With ``quota_bytes``, refuse (QuotaExceeded) a
        file that would take its owner past it."""
        lifetime = self.lifetimes_s.get(record.purpose, 0)
        expires = datetime.now(UTC) + timedelta(seconds=lifetime) if lifetime else None
        record = record.model_copy(update={"expires_at": iso(expires) if expires else None})
        await self.blobs.put(record.file_id, src)
        fields = {k: ("" if v is None else str(v)) for k, v in record.model_dump().items()}
        stored = await self._add(
            keys=self._keys(record.file_id, record.owner),
            args=[
                record.file_id,
                record.owner,
                record.file_size,
                int(expires.timestamp() * 1000) if expires else 0,
                quota_bytes,
                *[item for pair in fields.items() for item in pair],
            ],
        )
        if not stored:
            await self.blobs.delete(record.file_id)
            raise QuotaExceeded(
                f"This API key's files would take more than its {quota_bytes} byte storage quota; "
                "delete files you no longer need (DELETE /v1/files/{id}, DELETE /v1/queue/requests/{id}).",
                field="file",
            )
        return record

    async def used_bytes(self, owner: str) -> int:
        return int(await self.redis.hget(self.keys.storage_used, owner) or 0)

    def _keys(self, file_id: str, owner: str) -> list[str]:
        k = self.keys
        return [k.file(file_id), k.owner_files(owner), k.files_expiry, k.storage_used]

    async def get(self, file_id: str) -> FileRecord:
        """Any key's file (for a verified signed link); NotFound when it is gone."""
        record = await self.find(file_id)
        if record is None:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        return record

    async def find(self, file_id: str) -> FileRecord | None:
        data = await self.redis.hgetall(self.keys.file(file_id))
        return _record(data) if data else None

    async def get_owned(self, file_id: str, owner: str) -> FileRecord:
        record = await self.get(file_id)
        if record.owner != owner:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        return record

    async def list_owned(
        self, owner: str, *, newest: str, oldest: str, limit: int, purpose: str | None = None
    ) -> tuple[list[FileRecord], str | None]:
        """A page of the owner's files, newest first, within the id range (see ``store.index``)."""

        async def load(file_ids: list[str]) -> list[FileRecord | None]:
            pipe = self.redis.pipeline(transaction=False)
            for file_id in file_ids:
                pipe.hgetall(self.keys.file(file_id))
            records = [_record(data) if data else None for data in await pipe.execute()]
            return [r if r is not None and purpose in (None, r.purpose) else None for r in records]

        return await index.page(self.redis, self.keys.owner_files(owner), newest, oldest, limit, load)

    async def delete(self, file_id: str, owner: str) -> None:
        """Delete one of the owner's files, freeing its quota at once; NotFound if there is none.
        The bytes go first: a store that is down (StorageUnavailable) leaves the record, and its
        expiry entry, so the deletion is retried later and no object is orphaned."""
        record = await self.find(file_id)
        if record is None or record.owner != owner:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        await self.blobs.delete(file_id)
        if not await self._delete(keys=self._keys(file_id, owner), args=[file_id, owner]):
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")  # another deleter was first

    async def expired(self, now_ms: int, limit: int) -> list[str]:
        """Ids of files past their expiry, oldest first."""
        return await self.redis.zrangebyscore(self.keys.files_expiry, "-inf", now_ms, start=0, num=limit)

    async def forget_expiry(self, file_id: str) -> None:
        """Drop an expiry entry whose file is already gone."""
        await self.redis.zrem(self.keys.files_expiry, file_id)


def _record(data: dict[str, str]) -> FileRecord:
    return FileRecord.model_validate({k: v for k, v in data.items() if v != ""})
