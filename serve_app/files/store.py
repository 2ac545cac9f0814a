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
        await self.redis.hset(self.keys.file(record.file_id), mapping=fields)
        return record

    async def get(self, file_id: str) -> FileRecord:
        """Any key's file (for a verified signed link); NotFound when it is gone."""
        data = await self.redis.hgetall(self.keys.file(file_id))
        if not data:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        return FileRecord.model_validate({k: v for k, v in data.items() if v != ""})

    async def get_owned(self, file_id: str, owner: str) -> FileRecord:
        record = await self.get(file_id)
        if record.owner != owner:
            raise NotFound(f"No file with id {file_id!r}.", field="file_id")
        return record

    async def delete(self, file_id: str, owner: str) -> None:
        await self.get_owned(file_id, owner)
        await self.redis.delete(self.keys.file(file_id))
        self.path(file_id).unlink(missing_ok=True)
