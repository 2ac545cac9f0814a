"""File records (Redis) and their bytes (a local or shared directory).

The directory is ``AUDIOLASSO_DATA_DIR``; on a multi-node cluster it must be a
volume every node mounts (see cluster/README.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

import redis.asyncio as aioredis
from pydantic import BaseModel

from serve_app.errors import NotFound
from serve_app.store import index
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


class FileStore:
    def __init__(self, redis: aioredis.Redis, keys: RedisKeys, data_dir: Path):
        self.redis = redis
        self.keys = keys
        self.root = Path(data_dir) / "files"
        self.tmp = Path(data_dir) / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, file_id: str) -> Path:
        return self.root / file_id

    def temp_path(self, name: str) -> Path:
        return self.tmp / name

    async def add(self, record: FileRecord, src: Path) -> FileRecord:
        """Move ``src`` into storage and record it. The bytes land first, so a
        record never points at a missing file."""
        shutil.move(src, self.path(record.file_id))
        fields = {k: ("" if v is None else str(v)) for k, v in record.model_dump().items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.file(record.file_id), mapping=fields)
        pipe.zadd(self.keys.owner_files(record.owner), {record.file_id: 0})
        await pipe.execute()
        return record

    async def get(self, file_id: str) -> FileRecord:
        """Any key's file (for a verified signed link); NotFound when it is gone."""
        data = await self.redis.hgetall(self.keys.file(file_id))
        if not data:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        return _record(data)

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
        await self.get_owned(file_id, owner)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.file(file_id))
        pipe.zrem(self.keys.owner_files(owner), file_id)
        await pipe.execute()
        self.path(file_id).unlink(missing_ok=True)


def _record(data: dict[str, str]) -> FileRecord:
    return FileRecord.model_validate({k: v for k, v in data.items() if v != ""})
