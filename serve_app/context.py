"""The per-process handles every part of the service works through."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from serve_app.apikeys import KeyStore
from serve_app.config import Settings
from serve_app.jobs.store import JobStore
from serve_app.redis_conn import connect
from serve_app.redis_keys import RedisKeys
from serve_app.storage.files import FileStore


@dataclass
class ServiceContext:
    settings: Settings
    redis: aioredis.Redis
    jobs: JobStore
    files: FileStore
    api_keys: KeyStore
    backends: list[str]  # deployed backends, by name; the first is the default

    @classmethod
    def create(
        cls, settings: Settings, backends: list[str], redis: aioredis.Redis | None = None
    ) -> "ServiceContext":
        redis = redis or connect(settings)
        keys = RedisKeys(settings.redis_prefix)
        return cls(
            settings=settings,
            redis=redis,
            jobs=JobStore(redis, keys),
            files=FileStore(redis, keys, settings.data_dir),
            api_keys=KeyStore(redis, keys),
            backends=list(backends),
        )
