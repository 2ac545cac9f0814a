"""Run the service on one machine: embedded Redis when none is configured,
a local Ray instance, and a Serve config file deployed onto it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import yaml

from serve_app.access.apikeys import KeyStore
from serve_app.config import Settings
from serve_app.store import migrate
from serve_app.store.connection import connect, start_embedded
from serve_app.store.keys import RedisKeys

DEV_KEY_FILE = "dev-api-key"


def prepare_environment(settings: Settings) -> tuple[Settings, Any]:
    """Make the data dir absolute (Ray workers may run elsewhere) and start an
    embedded Redis when AUDIOLASSO_REDIS_URL is unset. Exports both to the
    environment every replica inherits. Returns (settings, redis server or None)."""
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["AUDIOLASSO_DATA_DIR"] = str(data_dir)
    server = None
    if not settings.redis_url:
        server, url = start_embedded(data_dir)
        os.environ["AUDIOLASSO_REDIS_URL"] = url
    return Settings(), server


async def ensure_dev_key(settings: Settings) -> str:
    """The key from AUDIOLASSO_API_KEY, or a development key kept in the data dir."""
    secret = os.environ.get("AUDIOLASSO_API_KEY")
    if not secret:
        path = settings.data_dir / DEV_KEY_FILE
        if path.exists():
            secret = path.read_text().strip()
        else:
            from serve_app.access.apikeys import new_secret

            secret = new_secret()
            path.touch(mode=0o600)
            path.write_text(secret)
    redis = connect(settings)
    try:
        await KeyStore(redis, RedisKeys(settings.redis_prefix)).add(secret, "development")
    finally:
        await redis.aclose()
    return secret


async def _migrate(settings: Settings) -> None:
    """Bring the embedded Redis's keys, written by an earlier version, into this one's layout."""
    redis = connect(settings)
    try:
        moved = await migrate.hash_tagged_prefix(redis, RedisKeys(settings.redis_prefix))
    finally:
        await redis.aclose()
    if moved:
        print(f"Moved {moved} Redis keys into this version's layout.", flush=True)


def load_config(path: Path, host: str | None = None, port: int | None = None):
    from ray.serve.schema import ServeDeploySchema

    raw = yaml.safe_load(Path(path).read_text())
    if host:
        raw.setdefault("http_options", {})["host"] = host
    if port:
        raw.setdefault("http_options", {})["port"] = port
    return ServeDeploySchema.model_validate(raw)


def haproxy_environment() -> dict[str, str]:
    """What turns on Ray Serve's HAProxy front door (HAProxy on the HTTP port, routing straight
    to the Ingress replicas' own ports) for the Ray processes started after it is set."""
    binary = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        raise RuntimeError(
            "AUDIOLASSO_HAPROXY=true needs the haproxy program (Debian: apt-get install haproxy); "
            "unset it to serve through Ray Serve's own proxy."
        )
    # With HAProxy in front, the Ingress replica's own CPU per request sets the submit rate.
    # Three of Ray's throughput-optimised settings (RAY_SERVE_THROUGHPUT_OPTIMIZED's, without
    # its gRPC between deployments, which audio arrays travel, and without its logs off stderr)
    # run every replica's code on its own event loop instead of a second loop's thread (the
    # replicas' heavy work runs in threads either way) and buffer the request-path logs: the
    # Ingress 1.18 -> 0.98-1.05 ms of CPU per submit, 0.40-0.49x -> 0.50-0.62x the bare FastAPI
    # app's throughput (bench/README.md 1). A user's own values of these three win.
    tuned = {
        "RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0",
        "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "0",
        "RAY_SERVE_REQUEST_PATH_LOG_BUFFER_SIZE": "1000",
    }
    return {
        **{name: os.environ.get(name, value) for name, value in tuned.items()},
        "RAY_SERVE_ENABLE_HA_PROXY": "1",
        "RAY_SERVE_ENABLE_DIRECT_INGRESS": "1",
        "RAY_SERVE_HAPROXY_BINARY_PATH": binary,
    }


def local_process_defaults() -> None:
    """What the processes of a local Ray inherit, set before ``ray.init`` (a user's own values win)."""
    # Serve kills a proxy that is not ready after 3 checks of 5 s; on a busy laptop
    # importing it takes longer.
    os.environ.setdefault("RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S", "30")
    # Ray starts an idle worker for the first driver; Serve's replicas are actors with
    # processes of their own, so locally it only held 88 MB (bench/README.md, 4).
    os.environ.setdefault("RAY_prestart_worker_first_driver", "0")
    # (MALLOC_ARENA_MAX=2 was tried: 220 MB less at the peaks, but concurrent jobs ran up to
    # 1.6x slower in the Separators' threads: bench/README.md, 4.)
    if Settings().haproxy:
        os.environ.update(haproxy_environment())


def deploy(config, num_cpus: int | None = None, timeout_s: float = 300.0) -> None:
    """Start a local Ray (if none is connected), start Serve with the config's
    HTTP options, deploy its applications and wait until they run — the same
    steps as ``serve run CONFIG``."""
    import ray
    from ray import serve
    from ray.serve._private import api as serve_api
    from ray.serve.config import gRPCOptions

    if not ray.is_initialized():
        local_process_defaults()
        settings = Settings()
        env = {k: v for k, v in os.environ.items() if k.startswith("AUDIOLASSO_")}
        metrics_port = settings.metrics_port  # Prometheus scrapes the service's metrics here
        ray.init(
            namespace="serve",
            num_cpus=num_cpus,
            include_dashboard=settings.dashboard,
            runtime_env={"env_vars": env},
            **({"_metrics_export_port": metrics_port} if metrics_port else {}),
        )
    client = serve_api.serve_start(
        http_options=config.http_options.model_dump(),
        proxy_location=config.proxy_location,
        grpc_options=gRPCOptions(**config.grpc_options.model_dump()),
    )
    client.deploy_apps(config, _blocking=False)
    deadline = time.monotonic() + timeout_s
    names = [app.name for app in config.applications]
    while True:
        apps = serve.status().applications
        states = {n: apps[n].status if n in apps else "NOT_STARTED" for n in names}
        if all(s == "RUNNING" for s in states.values()):
            return
        failed = {n: apps[n].message for n in names if n in apps and apps[n].status == "DEPLOY_FAILED"}
        if failed:
            raise RuntimeError(f"deployment failed: {failed}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"applications not running after {timeout_s:g} s: {states}")
        time.sleep(0.5)


def _exit_on_signal(signum, frame):
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    # Stop cleanly (Serve, then the embedded Redis) on Ctrl-C and on SIGTERM,
    # even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, _exit_on_signal)
    signal.signal(signal.SIGTERM, _exit_on_signal)


def run_forever(config_path: Path, host: str | None, port: int | None) -> None:
    _stop_on_signals()
    config = load_config(config_path, host, port)
    http = config.http_options
    # Links name the address the service is bound to, unless an operator set a public URL.
    os.environ.setdefault("AUDIOLASSO_PUBLIC_URL", f"http://{http.host}:{http.port}")
    settings, server = prepare_environment(Settings())
    if server is not None:
        asyncio.run(_migrate(settings))
    key = asyncio.run(ensure_dev_key(settings))
    deploy(config)
    _stop_on_signals()  # again: ray.init installs a SIGTERM handler that aborts the process
    print(f"\nAudioLasso is running on http://{http.host}:{http.port}  (docs: /docs)", flush=True)
    print(f"API key: {key}", flush=True)
    print(f'  export AUDIOLASSO_API_KEY="{key}"', flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        import ray
        from ray import serve

        print("\nShutting down...", flush=True)
        serve.shutdown()
        ray.shutdown()
    finally:
        if server is not None:
            server.shutdown()
