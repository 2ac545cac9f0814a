#!/usr/bin/env python
"""Submit-path benchmark: p50/p99 latency and requests/s of
``POST /v1/queue/audio/separate`` through the Ray Serve proxy, against a bare
FastAPI + uvicorn app doing the same Redis work (same auth lookup, same
``JobStore.submit``) with no Serve hop, measured in the same run, interleaved.

Targets (``--targets``):
  baseline     minimal FastAPI app on uvicorn (subprocess): auth, file check, JobStore.submit
  uvicorn_api  the real FastAPI app (serve_app.api.create_api) on uvicorn, no Serve (subprocess)
  service      the real service: Serve proxy -> Ingress replica -> Redis

Keeping the worker quiet: by default the script deploys configs/local.yaml
itself with its own Redis key prefix, and gives the QueueWorker deployment
*another* prefix through its runtime_env, so the worker polls an empty queue
and burns no CPU while the Ingress (the measured path, unchanged) writes real
jobs. With ``--url`` (a service you run) that is impossible: the worker runs
every job (0.5 s of audio each) beside the measured path, and the service's own
limits apply.

Example:
  .venv/bin/python bench/submit_path.py --concurrency 1,16,64 --repeats 3
"""

# No `from __future__ import annotations`: FastAPI must resolve the locally
# imported models in baseline_app's signatures.
import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    NO_LIMITS,
    LocalService,
    cpu_seconds,
    delete_prefix,
    free_port,
    machine_info,
    median,
    new_prefix,
    percentile,
    process_groups,
    redis_url_default,
    service_config,
    table,
    test_signal,
    wav_bytes,
    write_result,
)
from serve_app.store.keys import RedisKeys

SUBMIT = "/v1/queue/audio/separate"
ROUTE_RATIO_TARGETS = {"throughput_ratio_min": 0.5, "p99_ratio_max": 3.0}


# --- the baseline app ----------------------------------------------------------------
def baseline_app(settings, backends: list[str] | None = None):
    """A minimal FastAPI app: the Ingress's submit work (the same API-key lookup,
    ``KeyStore.authenticate``; the file ownership check; ``JobStore.submit`` with a plan
    of the same size) and nothing else: the job's plan is made once, at start-up."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from serve_app import ids
    from serve_app.clock import now_iso
    from serve_app.context import ServiceContext
    from serve_app.contract.schemas import SeparateRequest, SubmitResponse
    from serve_app.contract.views import interpretation_view, links
    from serve_app.errors import ServiceError, Unauthorized
    from serve_app.jobs.planning import Planner
    from serve_app.jobs.record import JobStatus
    from serve_app.registry import get_backend

    backends = backends or ["dsp"]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ctx = ServiceContext.create(settings, backends)  # the connection pool of this loop
        planner = Planner({backends[0]: get_backend(backends[0])()})
        app.state.plan = await planner.plan({"prompt": "isolate the speaker"}, backends[0])
        yield
        await app.state.ctx.redis.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(ServiceError)
    async def _error(request: Request, exc: ServiceError):
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code)

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    @app.post(SUBMIT, status_code=202, response_model=SubmitResponse, response_model_exclude_none=True)
    async def submit(body: SeparateRequest, request: Request):
        ctx = request.app.state.ctx
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        owner = await ctx.api_keys.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if owner is None:
            raise Unauthorized("Send a valid API key as 'Authorization: Bearer <key>'.")
        if body.input.file_id is not None:
            await ctx.files.get_owned(body.input.file_id, owner)
        request_id = ids.new_id("req")
        created_at = now_iso()
        base = str(request.base_url).rstrip("/")
        await ctx.jobs.submit(
            request_id=request_id,
            owner=owner,
            backend=body.input.backend or backends[0],
            input=body.input.model_dump(mode="json"),
            plan=request.app.state.plan.model_dump(mode="json"),
            webhook_url=body.webhook_url,
            warnings=[],
            created_at=created_at,
            base_url=base,
        )
        return SubmitResponse(
            request_id=request_id,
            status=JobStatus.IN_QUEUE,
            created_at=created_at,
            interpretation=interpretation_view(request.app.state.plan),
            **links(base, request_id).model_dump(),
        )

    return app


def real_api_app(settings, backend: str = "dsp"):
    """The service's own FastAPI app (serve_app.api.factory.create_api) without Serve.
    The backend is in-process and unloaded: submit only plans with it and asks
    what it can do."""
    from serve_app.api.factory import create_api
    from serve_app.context import ServiceContext
    from serve_app.jobs.planning import Planner
    from serve_app.jobs.separator_client import LocalSeparator
    from serve_app.registry import get_backend

    # redis.asyncio connects lazily, so the pool is bound to uvicorn's loop at first use.
    ctx = ServiceContext.create(settings, [backend])
    instance = get_backend(backend)()
    return create_api(ctx, {backend: LocalSeparator(instance)}, Planner({backend: instance}))


def _settings_from_env():
    from serve_app.config import Settings

    return Settings()


def _serve_subprocess(kind: str, port: int) -> None:
    """Entry point of the server subprocesses (``--_serve``)."""
    import uvicorn

    settings = _settings_from_env()
    app = baseline_app(settings) if kind == "baseline" else real_api_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class ServerProcess:
    """A baseline server in its own process (so it does not share the client's GIL)."""

    def __init__(self, kind: str, redis_url: str, prefix: str, data_dir: str):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            AUDIOLASSO_REDIS_URL=redis_url,
            AUDIOLASSO_REDIS_PREFIX=prefix,
            AUDIOLASSO_DATA_DIR=data_dir,
            **NO_LIMITS,
        )
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--_serve", kind, "--port", str(self.port)], env=env
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{self.kind} server did not answer in {timeout_s} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- load generation -----------------------------------------------------------------
async def run_load(
    url: str, key: str, payload: dict, concurrency: int, requests: int, warmup: int = 0
) -> dict[str, Any]:
    """``requests`` submits from ``concurrency`` closed-loop clients (each sends
    its next request when the previous answers). Returns latency stats in ms."""
    import aiohttp

    body = json.dumps(payload).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(record: bool) -> None:
            t = time.perf_counter()
            try:
                async with session.post(url + SUBMIT, data=body, headers=headers) as response:
                    await response.read()
                    ok = response.status == 202
                    why = str(response.status)
            except Exception as exc:  # noqa: BLE001 - counted, reported
                ok, why = False, type(exc).__name__
            if record:
                if ok:
                    latencies.append((time.perf_counter() - t) * 1000)
                else:
                    errors[why] = errors.get(why, 0) + 1

        async def client(count: list[int], record: bool) -> None:
            while count[0] > 0:
                count[0] -= 1
                await one(record)

        if warmup:
            left = [warmup]
            await asyncio.gather(*(client(left, False) for _ in range(min(concurrency, warmup))))
        left = [requests]
        t0 = time.perf_counter()
        await asyncio.gather(*(client(left, True) for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency,
        "requests": requests,
        "ok": len(latencies),
        "errors": errors,
        "wall_s": wall,
        "rps": len(latencies) / wall if wall > 0 else 0.0,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "mean_ms": sum(latencies) / len(latencies) if latencies else float("nan"),
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeats of one (target, concurrency)."""
    return {
        "repeats": len(runs),
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "rps": median([r["rps"] for r in runs]),
        "errors": sum(sum(r["errors"].values()) for r in runs),
    }


# --- set-up of keys and files ---------------------------------------------------------
def prepare_baseline_owner(redis_url: str, prefix: str) -> tuple[str, str]:
    """A key and a file record under ``prefix`` for the baseline apps; (secret, file_id)."""
    import redis.asyncio as aioredis

    from serve_app import ids
    from serve_app.access.apikeys import KeyStore
    from serve_app.clock import now_iso

    async def make() -> tuple[str, str]:
        r = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            keys = RedisKeys(prefix)
            key_id, secret = await KeyStore(r, keys).create("bench")
            file_id = ids.new_id("file")
            # Only the record matters to submit (ownership check); no bytes needed.
            await r.hset(
                keys.file(file_id),
                mapping={
                    "file_id": file_id,
                    "owner": key_id,
                    "purpose": "upload",
                    "file_name": "bench.wav",
                    "content_type": "audio/wav",
                    "file_size": "100",
                    "duration": "1.0",
                    "sample_rate": "48000",
                    "channels": "1",
                    "created_at": now_iso(),
                    "request_id": "",
                },
            )
            return secret, file_id
        finally:
            await r.aclose()

    return asyncio.run(make())


def upload_to(url: str, key: str) -> str:
    import httpx

    audio = test_signal(0.5, 48000)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        r = c.post("/v1/files", files={"file": ("bench.wav", wav_bytes(audio, 48000))})
        r.raise_for_status()
        return r.json()["file_id"]


def queue_length(redis_url: str, prefix: str) -> int:
    import redis

    return redis.Redis.from_url(redis_url).zcard(RedisKeys(prefix).queue)


def cpu_groups(servers: dict[str, "ServerProcess"]) -> dict[str, list]:
    """Processes to charge CPU to: this client, the baseline servers, every
    process of the local Ray, and the Redis server (shared with anything else
    using it, so only indicative)."""
    import psutil

    groups = process_groups()
    pids = {server.proc.pid: kind for kind, server in servers.items()}
    for label in list(groups):
        keep = [p for p in groups[label] if p.pid not in pids]
        if keep:
            groups[label] = keep
        else:
            del groups[label]
    for pid, kind in pids.items():
        with contextlib.suppress(psutil.Error):
            groups[f"{kind} server"] = [psutil.Process(pid)]
    redis_procs = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("redis-server")]
    if redis_procs:
        groups["redis-server (shared)"] = redis_procs
    return groups


# --- profiling ---------------------------------------------------------------------
def start_profile(pids: dict[str, int], out_dir: Path, seconds: float) -> list[subprocess.Popen]:
    out_dir.mkdir(parents=True, exist_ok=True)
    local = Path(sys.executable).parent / "py-spy"  # installed in the venv, maybe not on PATH
    exe = str(local) if local.exists() else "py-spy"
    procs = []
    for name, pid in pids.items():
        procs.append(
            subprocess.Popen(
                [
                    exe,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--gil",
                    "--output",
                    str(out_dir / f"{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return procs


PACKAGES = [  # (label, path fragment) — first match wins, checked on the sample's leaf frame
    ("serve_app (AudioLasso code)", "serve_app/"),
    ("redis client", "redis/"),
    ("ray serve", "ray/serve/"),
    ("ray core (actor calls, serialization)", "ray/"),
    ("uvicorn / httptools", "uvicorn/"),
    ("fastapi / starlette / pydantic", "fastapi/"),
    ("fastapi / starlette / pydantic", "starlette/"),
    ("fastapi / starlette / pydantic", "pydantic"),
    ("anyio (thread pool hops)", "anyio/"),
    ("msgpack / cloudpickle", "msgpack/"),
    ("asyncio event loop", "asyncio/"),
    ("threading / queues", "threading.py"),
    ("threading / queues", "queue.py"),
    ("threading / queues", "concurrent/futures"),
    ("logging", "logging/"),
    ("json", "json/"),
]


def summarize_profile(path: Path, top: int = 12) -> dict[str, Any]:
    """Shares of py-spy samples (taken with --gil: while the process runs Python
    code) — ``self``: by the package of the innermost frame; ``inclusive``: per function."""
    totals: dict[str, int] = {}
    by_package: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [f for f in stack.split(";") if f.strip()]
        leaf = frames[-1] if frames else ""
        package = next((label for label, frag in PACKAGES if frag in leaf), "other (stdlib, C)")
        by_package[package] = by_package.get(package, 0) + n
        seen = set()
        for frame in frames:
            fn = frame.split(" (")[0].strip()
            where = frame[frame.find("(") + 1 : frame.rfind(":")] if "(" in frame else ""
            label = f"{fn} [{Path(where).parent.name}/{Path(where).name}]" if where else fn
            if label not in seen:
                seen.add(label)
                totals[label] = totals.get(label, 0) + n
    if not samples:
        return {"self_by_package": [], "inclusive": []}
    return {
        "samples": samples,
        "self_by_package": [(k, round(v / samples, 4)) for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])],
        "inclusive": [(k, round(v / samples, 4)) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])[:top]],
    }


def _ratio(a: float, b: float) -> float:
    return a / b if b and b == b else float("nan")


# --- main ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concurrency", default="1,16,64", help="comma-separated client counts (default 1,16,64)")
    p.add_argument(
        "--requests",
        type=int,
        default=400,
        help="timed submits per (target, concurrency, repeat); at least 8 x concurrency (default 400)",
    )
    p.add_argument("--warmup", type=int, default=30, help="untimed submits before each timed run (default 30)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians are reported (default 3)")
    p.add_argument(
        "--targets",
        default="baseline,uvicorn_api,service",
        help="any of baseline, uvicorn_api, service (default all three)",
    )
    p.add_argument("--url", help="measure a running service at this URL instead of deploying one")
    p.add_argument("--api-key", help="API key for --url")
    p.add_argument("--prompt", default="isolate the speaker", help="job prompt (default 'isolate the speaker')")
    p.add_argument(
        "--redis-url", default=redis_url_default(), help="Redis for the baselines (and the deployed service)"
    )
    p.add_argument(
        "--serve-env",
        default="",
        metavar="K=V,...",
        help="extra environment for the deployed service's processes, e.g. Ray Serve knobs "
        "(RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD=0); recorded in the result",
    )
    p.add_argument("--num-cpus", type=int, default=None, help="logical CPUs given to the local Ray")
    p.add_argument(
        "--profile",
        metavar="DIR",
        help="py-spy the proxy, Ingress and baseline during the "
        "highest-concurrency run of the last repeat; raw stacks and a summary go to DIR",
    )
    p.add_argument("--output", help="JSON result path (default bench/results/submit_path.json)")
    p.add_argument("--_serve", choices=["baseline", "uvicorn_api"], help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args._serve:
        _serve_subprocess(args._serve, args.port)
        return {}

    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - {"baseline", "uvicorn_api", "service"}
    if unknown:
        p.error(f"unknown targets {sorted(unknown)}")
    if args.url and not args.api_key:
        p.error("--url needs --api-key")

    base_prefix = new_prefix("submit")
    service_prefix = f"{base_prefix}-svc"
    parked_prefix = f"{base_prefix}-parked"  # the QueueWorker's prefix: nothing is ever queued there
    baseline_prefix = f"{base_prefix}-base"
    prompt = args.prompt
    result: dict[str, Any] = {
        "benchmark": "submit_path",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "api_key"},
        "limits": "per-key submit rate, queued-per-key and queue-length limits raised to 1e9 "
        "(their Redis checks still run); with --url they are the service's own",
        "worker_isolation": (
            "service deployed by the script; QueueWorker given another Redis prefix (runtime_env) "
            "so it never claims the benchmark's jobs"
            if not args.url
            else f"external service; its worker runs every job (prompt {prompt!r}, 0.5 s of audio) "
            "beside the measured path"
        ),
        "runs": [],
    }

    servers: dict[str, ServerProcess] = {}
    service: LocalService | None = None
    tmp = tempfile.TemporaryDirectory(prefix="audiolasso-bench-")
    urls: dict[str, tuple[str, str, str]] = {}  # target -> (url, key, file_id)
    profile_procs: list[subprocess.Popen] = []
    try:
        for kind in ("baseline", "uvicorn_api"):
            if kind in targets:
                servers[kind] = ServerProcess(kind, args.redis_url, baseline_prefix, tmp.name)
        if "service" in targets:
            if args.url:
                urls["service"] = (args.url.rstrip("/"), args.api_key, upload_to(args.url, args.api_key))
            else:
                config = service_config(free_port(), worker_env={"AUDIOLASSO_REDIS_PREFIX": parked_prefix})
                serve_env = dict(kv.split("=", 1) for kv in args.serve_env.split(",") if "=" in kv)
                service = LocalService(
                    config, args.redis_url, service_prefix, num_cpus=args.num_cpus, env=serve_env
                ).__enter__()
                result["service_startup_s"] = service.startup_s
                urls["service"] = (service.url, service.key, upload_to(service.url, service.key))
        if servers:
            secret, file_id = prepare_baseline_owner(args.redis_url, baseline_prefix)
            for kind, server in servers.items():
                server.wait_ready()
                urls[kind] = (server.url, secret, file_id)

        for repeat in range(args.repeats):
            for c in concurrencies:
                for target in targets:
                    url, key, file_id = urls[target]
                    payload = {"input": {"file_id": file_id, "prompt": prompt}}
                    n = max(args.requests, 8 * c)
                    last = repeat == args.repeats - 1 and c == max(concurrencies)
                    if args.profile and last:
                        pids = {}
                        if target == "service" and service is not None:
                            from bench.common import replica_processes

                            pids = {
                                a["name"].replace(":", "_"): a["pid"]
                                for a in replica_processes()
                                if a["name"] in ("Ingress",) or "Proxy" in a["name"]
                            }
                        elif target in servers:
                            pids = {target: servers[target].proc.pid}
                        profile_procs = start_profile(pids, Path(args.profile) / target, seconds=600)
                    groups = cpu_groups(servers)
                    cpu0 = cpu_seconds(groups)
                    run = asyncio.run(run_load(url, key, payload, c, n, warmup=args.warmup))
                    cpu1 = cpu_seconds(groups)
                    # CPU per request, by process role; the warm-up runs inside run_load, so
                    # it is charged too and the total is divided by every request sent.
                    sent = n + args.warmup
                    run["cpu_ms_per_request"] = {
                        label: round((cpu1[label] - cpu0[label]) * 1000 / sent, 3)
                        for label in groups
                        if cpu1[label] - cpu0[label] > 0.005
                    }
                    for proc in profile_procs:
                        proc.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            proc.wait(30)
                    profile_procs = []
                    run.update(target=target, repeat=repeat)
                    result["runs"].append(run)
                    print(
                        f"  repeat {repeat} c={c:<3} {target:<12} p50 {run['p50_ms']:7.2f} ms  "
                        f"p99 {run['p99_ms']:7.2f} ms  {run['rps']:7.1f} req/s  errors {run['errors']}",
                        flush=True,
                    )

        if service is not None:
            # Sanity: the parked worker claimed nothing, so every accepted job is still queued.
            submitted = sum(r["ok"] for r in result["runs"] if r["target"] == "service")
            result["service_jobs_still_queued"] = queue_length(args.redis_url, service_prefix)
            result["service_jobs_submitted_timed"] = submitted
    finally:
        for proc in profile_procs:
            proc.kill()
        for server in servers.values():
            server.stop()
        if service is not None:
            service.__exit__(None, None, None)
        with contextlib.suppress(Exception):
            delete_prefix(args.redis_url, baseline_prefix)
        tmp.cleanup()

    rows = []
    summary: dict[str, Any] = {}
    for c in concurrencies:
        per = {t: summarize([r for r in result["runs"] if r["target"] == t and r["concurrency"] == c]) for t in targets}
        summary[str(c)] = per
        for t in targets:
            row = {"concurrency": c, "target": t, **{k: per[t][k] for k in ("p50_ms", "p99_ms", "rps", "errors")}}
            if "baseline" in per and t != "baseline":
                row["rps_vs_base"] = _ratio(per[t]["rps"], per["baseline"]["rps"])
                row["p99_vs_base"] = _ratio(per[t]["p99_ms"], per["baseline"]["p99_ms"])
            rows.append(row)
    for c in concurrencies:
        for t in targets:
            runs = [r for r in result["runs"] if r["target"] == t and r["concurrency"] == c]
            labels = sorted({k for r in runs for k in r.get("cpu_ms_per_request", {})})
            summary[str(c)][t]["cpu_ms_per_request"] = {
                k: median([r.get("cpu_ms_per_request", {}).get(k, 0.0) for r in runs]) for k in labels
            }
    result["summary"] = summary
    if "service" in targets and "baseline" in targets:
        checks = {}
        for c in concurrencies:
            s, b = summary[str(c)]["service"], summary[str(c)]["baseline"]
            rps_ratio, p99_ratio = _ratio(s["rps"], b["rps"]), _ratio(s["p99_ms"], b["p99_ms"])
            checks[str(c)] = {
                "throughput_ratio": rps_ratio,
                "p99_ratio": p99_ratio,
                "throughput_ok": rps_ratio >= ROUTE_RATIO_TARGETS["throughput_ratio_min"],
                "p99_ok": p99_ratio < ROUTE_RATIO_TARGETS["p99_ratio_max"],
            }
        result["targets"] = {**ROUTE_RATIO_TARGETS, "by_concurrency": checks}
    if args.profile:
        prof = {}
        for path in sorted(Path(args.profile).glob("*/*.txt")):
            prof[f"{path.parent.name}/{path.stem}"] = summarize_profile(path)
        result["profile"] = prof
    result["table"] = rows
    out = write_result("submit_path", result, args.output)
    print()
    print(table(rows, ["concurrency", "target", "p50_ms", "p99_ms", "rps", "rps_vs_base", "p99_vs_base", "errors"]))
    top = str(max(concurrencies))
    cpu_rows = []
    for t in targets:
        per = summary[top][t]["cpu_ms_per_request"]
        for label, ms in sorted(per.items(), key=lambda kv: -kv[1]):
            if ms >= 0.05:
                cpu_rows.append({"target": t, "process": label, "cpu_ms_per_request": ms})
    print(f"\nCPU per request at concurrency {top} (ms, medians over repeats):")
    print(table(cpu_rows))
    for name, prof in result.get("profile", {}).items():
        print(
            f"\npy-spy --gil, {name}: share of samples by package of the innermost frame "
            f"({prof.get('samples', 0)} samples)"
        )
        print(table([{"package": k, "share": v} for k, v in prof["self_by_package"][:10]]))
    print(f"\nwritten to {out}")
    return result


if __name__ == "__main__":
    main()
