"""The per-process handles every part of the service works through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from serve_app.apikeys import KeyStore
from serve_app.config import Settings
from serve_app.jobs.store import JobStore
from serve_app.ratelimit import RateLimiter
from serve_app.signed_urls import SigningKey
from serve_app.redis_conn import connect
from serve_app.redis_keys import RedisKeys
from serve_app.storage.files import FileStore
from serve_app.webhooks.outbox import Outbox
from serve_app.webhooks.secret_store import WebhookSecrets


@dataclass
class ServiceContext:
    settings: Settings
    redis: aioredis.Redis
    jobs: JobStore
    files: FileStore
    api_keys: KeyStore
    limits: RateLimiter
    signing: SigningKey
    outbox: Outbox
    webhook_secrets: WebhookSecrets
    backends: list[str]  # deployed backends, by name; the first is the default
    routes: dict[str, list[str]] = field(default_factory=dict)  # concept -> backend keys (serve_app.routing)

    @classmethod
    def create(
        cls,
        settings: Settings,
        backends: list[str],
        redis: aioredis.Redis | None = None,
        routes: Mapping[str, list[str]] | None = None,
    ) -> "ServiceContext":
        redis = redis or connect(settings)
        keys = RedisKeys(settings.redis_prefix)
        return cls(
            settings=settings,
            redis=redis,
            jobs=JobStore(redis, keys),
            files=FileStore(redis, keys, settings.data_dir),
            api_keys=KeyStore(redis, keys),
            limits=RateLimiter(redis, keys),
            signing=SigningKey(redis, keys, settings),
            outbox=Outbox(redis, keys),
            webhook_secrets=WebhookSecrets(redis, keys),
            backends=list(backends),
            routes=dict(routes or {}),
        )
