"""Shared pieces of the benchmarks: a real service on a local Ray Serve, Redis
helpers, machine facts, statistics, JSON results and tables."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from serve_app.store.keys import RedisKeys

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOCAL_CONFIG = ROOT / "configs" / "local.yaml"
APP = "audiolasso"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"

# The service's per-key abuse limits (submits and uploads per minute, queued jobs
# per key, queue length) would answer 429/503 to a load test. Benchmarks raise
# them; their Redis checks still run on every request. Unknown names are ignored.
NO_LIMITS = {
    "AUDIOLASSO_SUBMITS_PER_MINUTE": "1000000000",
    "AUDIOLASSO_UPLOADS_PER_MINUTE": "1000000000",
    "AUDIOLASSO_MAX_QUEUED_PER_KEY": "1000000000",
    "AUDIOLASSO_MAX_QUEUE_LENGTH": "1000000000",
}


# --- statistics ----------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --- output --------------------------------------------------------------------
def table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """A GitHub-markdown table (it reads fine in a terminal too)."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            if v != v:
                return "n/a"
            return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"
        return "" if v is None else str(v)

    cells = [[fmt(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    line = lambda vals: "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)) + " |"  # noqa: E731
    out = [line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells]
    return "\n".join(out)


def write_result(name: str, data: dict[str, Any], path: str | Path | None = None) -> Path:
    """Write the JSON result to ``path`` or bench/results/<name>.json; returns the path."""
    target = Path(path) if path else RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return target


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(Exception):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        for key in ("Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor", "L3 cache"):
            if key in fields:
                info[key.lower().replace(" ", "_").replace("(s)", "s")] = fields[key].strip()
    with contextlib.suppress(Exception):
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["load_avg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(Exception):
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    with contextlib.suppress(Exception):
        import threadpoolctl

        info["blas_threads"] = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
    with contextlib.suppress(Exception):
        import ray

        info["ray"] = ray.__version__
    return info


def limit_threads(n: int) -> None:
    """Hold this process's compute to ``n`` threads, as Ray holds a replica with ``num_cpus`` n
    (it sets OMP_NUM_THREADS): numpy's BLAS, and torch's pool where a backend uses torch."""
    import threadpoolctl

    threadpoolctl.threadpool_limits(n)
    with contextlib.suppress(ImportError):
        import torch

        torch.set_num_threads(n)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Redis -----------------------------------------------------------------------
def redis_url_default() -> str:
    return os.environ.get("AUDIOLASSO_REDIS_URL") or DEFAULT_REDIS


def new_prefix(kind: str) -> str:
    return f"bench-{kind}-{uuid.uuid4().hex[:8]}"


def create_key(redis_url: str, prefix: str, name: str = "bench") -> str:
    """A new API key under ``prefix``; returns the secret."""
    import redis.asyncio as aioredis

    from serve_app.access.apikeys import KeyStore

    async def make() -> str:
        r = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            return (await KeyStore(r, RedisKeys(prefix)).create(name))[1]
        finally:
            await r.aclose()

    return asyncio.run(make())


def delete_prefix(redis_url: str, prefix: str) -> int:
    """Remove every key of a benchmark prefix (never a bare or the default prefix)."""
    import redis

    if not prefix.startswith("bench-"):
        raise ValueError(f"refusing to delete keys of non-benchmark prefix {prefix!r}")
    r = redis.Redis.from_url(redis_url)
    n = 0
    batch = []
    for key in r.scan_iter(match=RedisKeys(prefix).pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            n += r.delete(*batch)
            batch.clear()
    if batch:
        n += r.delete(*batch)
    return n


# --- audio -----------------------------------------------------------------------
def test_signal(seconds: float, sr: int, seed: int = 0, channels: int = 1):
    """Deterministic float32 (channels, frames): a few tones, clicks and noise,
    so every backend has something to separate."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = max(1, int(round(seconds * sr)))
    t = np.arange(n, dtype=np.float64) / sr
    tones = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 660 * t * (1 + 0.01 * np.sin(t)))
    clicks = np.zeros(n)
    clicks[:: max(1, sr // 2)] = 0.8
    out = []
    for _ in range(channels):
        noise = 0.05 * rng.standard_normal(n)
        out.append((tones + clicks + noise).astype(np.float32))
    return np.stack(out)


def wav_bytes(audio, sr: int) -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, audio.T, sr, format="WAV", subtype="FLOAT")
    return buf.getvalue()


# --- the real service on a local Ray Serve ----------------------------------------
def service_config(
    port: int,
    *,
    backend: str | None = "dsp",
    device: str | None = None,
    max_batch_size: int | None = None,
    batch_wait_timeout_s: float | None = None,
    max_concurrent_batches: int | None = None,
    worker_env: dict[str, str] | None = None,
    num_gpus: float | None = None,
    max_concurrent_jobs: int | None = None,
    chunks_in_flight: int | None = None,
) -> dict[str, Any]:
    """configs/local.yaml on ``port``, with the benchmark's changes (if any); with
    ``backend=None``, every backend the config deploys, as ``make run`` does."""
    import yaml

    config = yaml.safe_load(LOCAL_CONFIG.read_text())
    config["http_options"]["port"] = port
    if backend is None:
        return config
    app = config["applications"][0]
    # The backend as the config deploys it (its options), or bare when the config lacks it.
    spec = next((dict(b) for b in app["args"]["backends"] if b["name"] == backend), {"name": backend})
    if device:
        spec["device"] = device
    app["args"]["backends"] = [spec]
    # Concept routes may name only deployed backends: keep those served by this one alone.
    for field in ("routes", "routes_without_spans"):
        routes = app["args"].get(field) or {}
        app["args"][field] = {
            concept: keys
            for concept, keys in routes.items()
            if set([keys] if isinstance(keys, str) else keys) == {backend}
        }
    worker = app["args"].setdefault("worker", {})
    if max_concurrent_jobs:
        worker["max_concurrent_jobs"] = max_concurrent_jobs
    if chunks_in_flight:
        worker["chunks_in_flight"] = chunks_in_flight
    sep_name = f"Separator-{backend}"
    # Only the benchmarked backend is deployed: drop other Separators' entries.
    app["deployments"] = [
        d
        for d in app.get("deployments", [])
        if not d["name"].startswith("Separator-")
        or d["name"] == sep_name
        or not any(d2["name"] == sep_name for d2 in app.get("deployments", []))
    ]
    deployments = app["deployments"]
    sep = next((d for d in deployments if d["name"] == sep_name), None)
    if sep is None:
        # Another backend than the shipped config's: give it the same shape as Separator-dsp.
        template: dict[str, Any] = next((d for d in deployments if d["name"].startswith("Separator-")), {})
        sep = copy.deepcopy(template) or {"user_config": {}, "ray_actor_options": {"num_cpus": 1}}
        sep["name"] = sep_name
        deployments[:] = [d for d in deployments if not d["name"].startswith("Separator-")] + [sep]
    user_config = sep.setdefault("user_config", {})
    if max_batch_size is not None:
        user_config["max_batch_size"] = max_batch_size
    if max_concurrent_batches is not None:
        user_config["max_concurrent_batches"] = max_concurrent_batches
    in_flight = int(user_config.get("max_batch_size", 1)) * int(user_config.get("max_concurrent_batches", 1))
    sep["max_ongoing_requests"] = max(int(sep.get("max_ongoing_requests", 0)), 4 * in_flight)
    if batch_wait_timeout_s is not None:
        user_config["batch_wait_timeout_s"] = batch_wait_timeout_s
    if num_gpus is not None:
        sep.setdefault("ray_actor_options", {})["num_gpus"] = num_gpus
    if worker_env:
        for d in deployments:
            if d["name"] == "QueueWorker":
                opts = d.setdefault("ray_actor_options", {})
                opts.setdefault("runtime_env", {}).setdefault("env_vars", {}).update(worker_env)
    return config


def separator_user_config(config: dict[str, Any], backend: str) -> dict[str, Any]:
    for d in config["applications"][0]["deployments"]:
        if d["name"] == f"Separator-{backend}":
            return d.get("user_config", {})
    return {}


class LocalService:
    """The real application (configs/local.yaml, possibly modified) deployed on a
    local Ray Serve exactly as tests/test_serve_e2e.py does, under its own Redis
    key prefix and data directory. Use as a context manager; one at a time."""

    def __init__(
        self,
        config: dict[str, Any],
        redis_url: str,
        prefix: str,
        num_cpus: int | None = None,
        env: dict[str, str] | None = None,
    ):
        self.config = config
        self.redis_url = redis_url
        self.prefix = prefix
        self.num_cpus = num_cpus or max(4, os.cpu_count() or 1)  # logical CPUs for Ray's scheduler
        self.env = {**NO_LIMITS, **(env or {})}
        self.url = f"http://127.0.0.1:{config['http_options']['port']}"
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._saved_env: dict[str, str] | None = None

    def __enter__(self) -> LocalService:
        import ray

        from serve_app.launcher import deploy, local_process_defaults

        self._tmp = tempfile.TemporaryDirectory(prefix="audiolasso-bench-")
        self._saved_env = dict(os.environ)
        os.environ.update(
            {
                "AUDIOLASSO_REDIS_URL": self.redis_url,
                "AUDIOLASSO_REDIS_PREFIX": self.prefix,
                "AUDIOLASSO_DATA_DIR": str(Path(self._tmp.name) / "data"),
                **self.env,
            }
        )
        # After the update: AUDIOLASSO_HAPROXY=true, from the shell or ``env``, deploys behind HAProxy.
        local_process_defaults()
        env = {k: v for k, v in os.environ.items() if k.startswith("AUDIOLASSO_")}
        env.update(self.env)  # e.g. RAY_SERVE_* knobs for an experiment
        t = time.perf_counter()
        # Same call as launcher.deploy makes, plus quiet driver logs.
        # address="local": always a new instance, never someone else's `ray start` cluster.
        ray.init(
            address="local",
            namespace="serve",
            num_cpus=self.num_cpus,
            runtime_env={"env_vars": env},
            log_to_driver=False,
            include_dashboard=False,
            configure_logging=True,
            logging_level="WARNING",
        )
        try:
            deploy(self._load(self.config))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.startup_s = time.perf_counter() - t
        self.key = create_key(self.redis_url, self.prefix)
        return self

    def _load(self, config: dict[str, Any]):
        import yaml

        from serve_app.launcher import load_config

        assert self._tmp is not None  # set by __enter__
        path = Path(self._tmp.name) / f"config-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(yaml.safe_dump(config))
        return load_config(path)

    def redeploy(self, config: dict[str, Any]) -> float:
        """Deploy a changed config onto the running Serve (a user_config change
        reaches live replicas through ``reconfigure``, no restart). Returns seconds."""
        from serve_app.launcher import deploy

        t = time.perf_counter()
        self.config = config
        deploy(self._load(config))
        return time.perf_counter() - t

    def handle(self, deployment: str):
        from ray import serve

        return serve.get_deployment_handle(deployment, app_name=APP)

    def separator_stats(self, backend: str) -> dict[str, Any]:
        return self.handle(f"Separator-{backend}").stats.remote().result(timeout_s=30)

    def __exit__(self, *exc) -> None:
        import ray
        from ray import serve

        with contextlib.suppress(Exception):
            serve.shutdown()
        with contextlib.suppress(Exception):
            ray.shutdown()
        with contextlib.suppress(Exception):
            delete_prefix(self.redis_url, self.prefix)
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
        if self._tmp is not None:
            self._tmp.cleanup()


def replica_processes() -> list[dict[str, Any]]:
    """The live Serve actors of the Ray instance this process started: replicas,
    proxy and controller, with their PIDs. Found among this process's
    descendants by the titles Ray gives its workers (``ray::ServeReplica:app:Name``),
    so no other Ray instance on the machine is ever picked up, and the
    dashboard's state API is not needed."""
    import psutil

    out = []
    for proc in psutil.Process().children(recursive=True):
        try:
            title = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if not title.startswith("ray::"):
            continue
        name = title[5:].split()[0]
        if name.startswith("ServeReplica:"):
            out.append({"name": name.split(":")[-1], "pid": proc.pid, "class_name": name})
        elif name.startswith(("ProxyActor", "ServeController")):
            out.append({"name": name, "pid": proc.pid, "class_name": name})
    return sorted(out, key=lambda a: a["name"])


def _label(proc) -> str | None:
    import psutil

    try:
        cmd = proc.cmdline()
        name = proc.name()
    except psutil.Error:
        return None
    title = " ".join(cmd)
    if title.startswith("ray::"):
        actor = title[5:].split()[0]
        if actor.startswith("ServeReplica:"):
            return actor.split(":")[-1]
        if actor.startswith(("ProxyActor", "ServeController")):
            return actor
        return "ray worker (idle)" if actor.startswith("IDLE") else "ray other"
    if "raylet" in name or "gcs_server" in name:
        return name
    if "dashboard" in title or "ray/_private" in title or "ray.dashboard" in title or "ray/autoscaler" in title:
        return "ray system (dashboard, log monitor, ...)"
    return f"other: {name}"


def process_groups() -> dict[str, list]:
    """This process ("client") and its descendants (a local Ray's processes, a
    baseline server) grouped by role, for CPU accounting."""
    import psutil

    me = psutil.Process()
    groups: dict[str, list] = {"client (this process)": [me]}
    for proc in me.children(recursive=True):
        label = _label(proc)
        if label:
            groups.setdefault(label, []).append(proc)
    return groups


def cpu_seconds(groups: dict[str, list]) -> dict[str, float]:
    """user + system CPU seconds so far, per group (processes that vanished count 0)."""
    import psutil

    out = {}
    for label, procs in groups.items():
        total = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                total += t.user + t.system
        out[label] = total
    return out


def upload(client, audio, sr: int) -> str:
    """Upload through the API (a sync httpx client); returns the file id."""
    response = client.post("/v1/files", files={"file": ("bench.wav", wav_bytes(audio, sr))})
    response.raise_for_status()
    return response.json()["file_id"]
