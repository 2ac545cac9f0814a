#!/usr/bin/env python
"""Dynamic-batching gain: seconds of audio separated per wall-clock second with
N concurrent jobs of mixed lengths, one chunk at a time (``max_batch_size`` 1,
``max_concurrent_batches`` 1) against the configured batching — same service,
same backend, same run. The configured batching is the config's ``user_config``
(for ``dsp``, batches of one, two at once on threads), or batches of 8 where the
config leaves the backend at one chunk at a time. Between phases
the Separator's ``user_config`` is changed by redeploying the config; Serve
applies it through ``Separator.reconfigure`` without restarting the replica
(the replica's PID is recorded to show it). The batch sizes that actually
formed come from the Separator's own ``stats()`` (difference before/after each
phase), read through ``serve.get_deployment_handle``.

Throughput uses the service's own clock: total audio seconds divided by the
time from the first job's ``created_at`` to the last job's ``completed_at``.

Runs unchanged on a GPU machine: ``--device cuda --num-gpus 1`` (and
``--backend`` for a GPU backend).

Example:
  .venv/bin/python bench/batching.py --jobs 8 --repeats 2
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections import Counter
from datetime import datetime
from typing import Any

from bench.common import (
    LocalService,
    free_port,
    machine_info,
    median,
    new_prefix,
    redis_url_default,
    replica_processes,
    separator_user_config,
    service_config,
    table,
    test_signal,
    upload,
    write_result,
)

PROMPTS = ["isolate the speaker", "remove the drums", "isolate the vocals", "keep the low end", "isolate the bass"]


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def pick_prompt(backend_name: str, candidates: list[str]) -> str:
    """The first candidate the backend's ``plan`` accepts (checked in-process, nothing loaded)."""
    from serve_app.backend import UnsupportedPrompt
    from serve_app.registry import get_backend
    from serve_app.understanding.reading import read

    backend = get_backend(backend_name)()
    for prompt in candidates:
        with contextlib.suppress(UnsupportedPrompt):
            backend.plan(read(prompt), [])
            return prompt
    raise SystemExit(f"backend {backend_name!r} refuses every prompt in {candidates}; pass --prompt")


def run_phase(client, files: list[tuple[str, float]], prompt: str, backend: str, timeout_s: float) -> dict[str, Any]:
    """Submit every file at once; wait for all; throughput from the service's timestamps."""
    bodies = []
    for file_id, _seconds in files:
        r = client.post(
            "/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt, "backend": backend}}
        )
        r.raise_for_status()
        bodies.append(r.json())
    deadline = time.monotonic() + timeout_s
    final: dict[str, dict] = {}
    while len(final) < len(bodies):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(bodies) - len(final)} jobs unfinished after {timeout_s} s")
        for body in bodies:
            if body["request_id"] in final:
                continue
            status = client.get(body["status_url"]).json()
            if status["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                final[body["request_id"]] = status
        time.sleep(0.2)
    failed = [s for s in final.values() if s["status"] != "COMPLETED"]
    if failed:
        raise RuntimeError(f"{len(failed)} jobs did not complete: {failed[0]}")
    start = min(_epoch(s["created_at"]) for s in final.values())
    end = max(_epoch(s["completed_at"]) for s in final.values())
    audio_s = sum(seconds for _, seconds in files)
    return {
        "jobs": len(bodies),
        "audio_s": audio_s,
        "wall_s": end - start,
        "throughput": audio_s / (end - start) if end > start else float("nan"),
    }


def batch_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[int, int]:
    b = Counter({int(k): v for k, v in before["batch_sizes"].items()})
    a = Counter({int(k): v for k, v in after["batch_sizes"].items()})
    return dict(sorted((a - b).items()))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=8, help="concurrent jobs per phase (default 8)")
    p.add_argument(
        "--lengths",
        default="4,9,15,22,31,6,12,27",
        help="job lengths in seconds, cycled over the jobs (default 4,9,15,22,31,6,12,27)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="the batched phase's max_batch_size (default: the config's, configs/local.yaml)",
    )
    p.add_argument(
        "--concurrent-batches",
        type=int,
        default=None,
        help="the batched phase's max_concurrent_batches (default: the config's, configs/local.yaml)",
    )
    p.add_argument("--repeats", type=int, default=2, help="repeats of both phases, alternating order (default 2)")
    p.add_argument("--backend", default="dsp", help="backend to deploy (default dsp)")
    p.add_argument("--device", default=None, help="backend device, e.g. cpu or cuda (default: cuda if available)")
    p.add_argument("--num-gpus", type=float, default=None, help="GPUs per Separator replica (e.g. 1 on a GPU machine)")
    p.add_argument("--prompt", default=None, help="job prompt (default: the first of a list the backend accepts)")
    p.add_argument("--sample-rate", type=int, default=44100, help="sample rate of the uploaded audio (default 44100)")
    p.add_argument("--max-concurrent-jobs", type=int, default=None, help="override the worker's jobs at once")
    p.add_argument("--chunks-in-flight", type=int, default=None, help="override the worker's chunks in flight per job")
    p.add_argument("--redis-url", default=redis_url_default())
    p.add_argument("--num-cpus", type=int, default=None, help="logical CPUs given to the local Ray")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds one phase may take")
    p.add_argument("--output", help="JSON result path (default bench/results/batching.json)")
    args = p.parse_args(argv)

    import httpx

    prompt = args.prompt or pick_prompt(args.backend, PROMPTS)
    lengths = [float(x) for x in args.lengths.split(",") if x.strip()]
    port = free_port()
    make = lambda phase: service_config(  # noqa: E731
        port,
        backend=args.backend,
        device=args.device,
        num_gpus=args.num_gpus,
        max_batch_size=phase[0],
        max_concurrent_batches=phase[1],
        max_concurrent_jobs=args.max_concurrent_jobs,
        chunks_in_flight=args.chunks_in_flight,
    )
    shipped = separator_user_config(make((None, None)), args.backend)
    configured = (
        args.batch_size or int(shipped.get("max_batch_size", 8)),
        args.concurrent_batches or int(shipped.get("max_concurrent_batches", 1)),
    )
    if configured == (1, 1):  # the config does not batch this backend: measure what batching would give
        configured = (8, 1)
    phases = [(1, 1), configured]
    result: dict[str, Any] = {
        "benchmark": "batching",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": {**vars(args), "prompt": prompt, "phases_compared": phases},
        "runs": [],
    }
    prefix = new_prefix("batch")
    with (
        LocalService(make(configured), args.redis_url, prefix, num_cpus=args.num_cpus) as service,
        httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.key}"}, timeout=120) as client,
    ):
        result["service_startup_s"] = service.startup_s
        result["worker_config"] = service.config["applications"][0]["args"]["worker"]
        files = []
        for i in range(args.jobs):
            seconds = lengths[i % len(lengths)]
            files.append((upload(client, test_signal(seconds, args.sample_rate, seed=i), args.sample_rate), seconds))
        sep = f"Separator-{args.backend}"
        # One untimed warm-up job (first-call costs: imports, model caches).
        run_phase(client, files[:1], prompt, args.backend, args.timeout)
        for repeat in range(args.repeats):
            for phase_settings in phases if repeat % 2 == 0 else phases[::-1]:
                redeploy_s = service.redeploy(make(phase_settings))
                pids = {a["name"]: a["pid"] for a in replica_processes()}
                before = service.separator_stats(args.backend)
                phase = run_phase(client, files, prompt, args.backend, args.timeout)
                after = service.separator_stats(args.backend)
                formed = batch_diff(before, after)
                phase.update(
                    repeat=repeat,
                    max_batch_size=phase_settings[0],
                    concurrent_batches=phase_settings[1],
                    batch_sizes=formed,
                    chunks=sum(k * v for k, v in formed.items()),
                    calls=sum(formed.values()),
                    separator_pid=pids.get(sep),
                    device=after.get("device"),
                    redeploy_s=redeploy_s,
                )
                result["runs"].append(phase)
                print(
                    f"  repeat {repeat} batch {phase_settings[0]} x {phase_settings[1]} at once  "
                    f"{phase['throughput']:6.2f} s audio/s  "
                    f"wall {phase['wall_s']:6.2f} s  batches {formed}  pid {pids.get(sep)}",
                    flush=True,
                )

    rows: list[dict[str, Any]] = []
    for mbs, concurrent in phases:
        runs = [r for r in result["runs"] if (r["max_batch_size"], r["concurrent_batches"]) == (mbs, concurrent)]
        sizes_formed: Counter[int] = Counter()
        for r in runs:
            sizes_formed.update(r["batch_sizes"])
        chunks = sum(k * v for k, v in sizes_formed.items())
        rows.append(
            {
                "max_batch_size": mbs,
                "concurrent_batches": concurrent,
                "repeats": len(runs),
                "audio_s": runs[0]["audio_s"] if runs else 0,
                "wall_s": median([r["wall_s"] for r in runs]),
                "throughput": median([r["throughput"] for r in runs]),
                "mean_batch": chunks / max(sum(sizes_formed.values()), 1),
                "batch_sizes": " ".join(f"{k}x{v}" for k, v in sorted(sizes_formed.items())),
            }
        )
    base = rows[0]["throughput"]
    for row in rows:
        row["gain"] = row["throughput"] / base if base else float("nan")
    result["table"] = rows
    result["gain"] = rows[-1]["gain"]
    result["replica_restarted"] = len({r["separator_pid"] for r in result["runs"]}) > 1
    out = write_result("batching", result, args.output)
    print()
    print(
        table(
            rows,
            [
                "max_batch_size",
                "concurrent_batches",
                "repeats",
                "audio_s",
                "wall_s",
                "throughput",
                "gain",
                "mean_batch",
                "batch_sizes",
            ],
        )
    )
    print(f"\nwritten to {out}")
    return result


if __name__ == "__main__":
    main()
