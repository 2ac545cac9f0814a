"""The per-process handles every part of the service works through, and the loops
built over them. Only composition roots (the deployments, the CLI, the tests)
create one; the packages below take the handles they need."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from serve_app.access.admission import Admissions
from serve_app.access.apikeys import KeyStore
from serve_app.access.idempotency import IdempotencyKeys
from serve_app.access.signed_urls import SigningKey
from serve_app.config import Settings
from serve_app.files.blobs import blob_store
from serve_app.files.store import FileStore
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.jobs.store import JobStore
from serve_app.jobs.worker import JobWorker
from serve_app.metrics import Metrics
from serve_app.retention import Janitor
from serve_app.store.connection import connect
from serve_app.store.keys import RedisKeys
from serve_app.webhooks.outbox import Outbox
from serve_app.webhooks.secret_store import WebhookSecrets
from serve_app.webhooks.sender import WebhookSender


@dataclass
class ServiceContext:
    settings: Settings
    redis: aioredis.Redis
    jobs: JobStore
    files: FileStore
    api_keys: KeyStore
    limits: Admissions  # rate limits, then storage quota, before a request creates anything
    signing: SigningKey
    outbox: Outbox
    webhook_secrets: WebhookSecrets
    idempotency: IdempotencyKeys
    backends: list[str]  # deployed backends, by name; the first is the default
    # concept or family -> backend keys, as configured (serve_app.routing.by_concept resolves them)
    routes: dict[str, list[str]] = field(default_factory=dict)
    # Where jobs without span hints go instead, for the concepts and families listed.
    routes_without_spans: dict[str, list[str]] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)  # RayMetrics inside the deployments

    def job_worker(self, separators: Mapping[str, SeparatorClient], planner: Planner, **options: int) -> JobWorker:
        """The job loop over this context's stores (``options``: max_concurrent_jobs, chunks_in_flight)."""
        return JobWorker(self.jobs, self.files, self.settings, separators, planner, metrics=self.metrics, **options)

    def janitor(self) -> Janitor:
        """The retention loop: deletes expired jobs and files."""
        return Janitor(self.jobs, self.files, self.settings.retention_interval_s)

    def webhook_sender(self) -> WebhookSender:
        """The webhook delivery loop over this context's stores."""
        return WebhookSender(
            self.settings, self.outbox, self.jobs, self.api_keys, self.webhook_secrets, self.signing, self.metrics
        )

    @classmethod
    def create(
        cls,
        settings: Settings,
        backends: list[str],
        redis: aioredis.Redis | None = None,
        routes: Mapping[str, list[str]] | None = None,
        routes_without_spans: Mapping[str, list[str]] | None = None,
        metrics: Metrics | None = None,
    ) -> ServiceContext:
        redis = redis or connect(settings)
        keys = RedisKeys(settings.redis_prefix)
        return cls(
            settings=settings,
            redis=redis,
            jobs=JobStore(
                redis,
                keys,
                finished_ttl_s=settings.job_ttl_s,
                replica_acks=settings.redis_replica_acks,
                replica_wait_ms=settings.redis_replica_wait_ms,
            ),
            files=FileStore(
                redis,
                keys,
                blob_store(settings),
                Path(settings.data_dir) / "tmp",
                {"upload": settings.upload_ttl_s, "result": settings.result_ttl_s},
            ),
            api_keys=KeyStore(redis, keys),
            limits=Admissions(redis, keys),
            signing=SigningKey(redis, keys, settings),
            outbox=Outbox(redis, keys),
            webhook_secrets=WebhookSecrets(redis, keys),
            idempotency=IdempotencyKeys(redis, keys),
            backends=list(backends),
            routes=dict(routes or {}),
            routes_without_spans=dict(routes_without_spans or {}),
            metrics=metrics or Metrics(),
        )
