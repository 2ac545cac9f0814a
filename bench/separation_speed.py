#!/usr/bin/env python
"""Separation speed and memory.

1. Real-time factor (wall seconds per second of audio; lower is faster) of every
   installed backend (``serve_app.registry.backends()``) on 10 s, 60 s and 600 s
   inputs, in-process through the service's own path:
   ``serve_app.jobs.separation.separate_audio`` (resample -> chunk -> separate ->
   overlap-add -> resample back) with a ``LocalSeparator`` — next to a bare
   STFT -> mask -> inverse STFT of the same audio (the floor any
   spectral-mask method pays), as a ratio. Each backend gets the first prompt
   of a small list that its ``interpret`` accepts (``--all-plans``: every
   distinct plan). The peak RSS growth of this process during each run is
   recorded too.

2. Memory of the service (``--no-service`` skips it): configs/local.yaml on a
   local Ray Serve; peak RSS of each Serve process (replicas found through
   Ray's state API, sampled with psutil) idle with the default backend
   loaded, then under load (concurrent jobs).

Example:
  .venv/bin/python bench/separation_speed.py --durations 10,60,600
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import (
    LocalService,
    free_port,
    limit_threads,
    machine_info,
    median,
    new_prefix,
    process_groups,
    redis_url_default,
    replica_processes,
    service_config,
    table,
    test_signal,
    upload,
    write_result,
)

LOAD_PROMPTS = ["isolate the speaker", "isolate the drums", "isolate the piano", "remove the hum"]
PROMPTS = [
    "isolate the speaker",
    "remove the drums",
    "isolate the drums",
    "isolate the vocals",
    "keep the low end",
    "isolate the bass",
    "isolate the piano",
    "isolate the guitar",
    "isolate the dog barking",  # an event: self-marked spans, a span model learnt in prepare
    "isolate the phone ringing",
]


class PeakRSS:
    """Samples this process's RSS in a thread; ``peak_mb`` is the growth over the start."""

    def __init__(self, pid: int | None = None, interval_s: float = 0.02):
        import psutil

        self.proc = psutil.Process(pid or os.getpid())
        self.interval_s = interval_s
        self._stop = threading.Event()

    def __enter__(self) -> PeakRSS:
        self.start = self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.peak_growth_mb = (self.peak - self.start) / 2**20


# --- in-process speed -----------------------------------------------------------------
def accepted_plans(backend, prompts: list[str]) -> list[tuple[str, Any]]:
    """(prompt, plan) for each prompt the backend accepts, distinct plans only."""
    from serve_app.backend import UnsupportedPrompt
    from serve_app.understanding.reading import read

    out, seen = [], set()
    for prompt in prompts:
        try:
            plan = backend.plan(read(prompt), [])
        except UnsupportedPrompt:
            continue
        key = plan.model_dump_json(exclude={"sound"})
        if key not in seen:
            seen.add(key)
            out.append((prompt, plan))
    return out


def run_pipeline(
    backend, mixture, sample_rate: int, plan, chunks_in_flight: int = 4, jobs: int = 1, concurrency: int = 1
):
    """The worker's separation path, in-process: pipeline.separate_audio with a LocalSeparator
    running ``concurrency`` chunks at a time; ``jobs`` separations of ``mixture`` at once.
    Returns the first one's target."""
    from serve_app.jobs.separation import Member, separate_audio
    from serve_app.jobs.separator_client import LocalSeparator

    members: list[Member] = [(LocalSeparator(backend, concurrency), plan)]

    async def progress(done: int, total: int) -> bool:
        return False

    async def all_jobs():
        runs = (separate_audio(mixture, sample_rate, members, [], progress, chunks_in_flight) for _ in range(jobs))
        return (await asyncio.gather(*runs))[0]

    return asyncio.run(all_jobs())


def stft_mask_istft(mixture, n_fft: int = 2048, hop: int = 512, device: str = "cpu"):
    """The floor of spectral masking: STFT, a magnitude-derived soft mask, inverse STFT (whole signal)."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(mixture).to(device)
        window = torch.hann_window(n_fft, device=device)
        spec = torch.stft(x, n_fft, hop, window=window, return_complex=True)
        power = spec.real.square() + spec.imag.square()
        mask = power / (power + power.mean())
        y = torch.istft(spec * mask, n_fft, hop, window=window, length=x.shape[-1])
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return y.cpu().numpy()


def profile_pipeline(backend, mixture, sample_rate: int, plan, top: int = 12) -> list[dict]:
    """cProfile of one pipeline run: the functions with the most cumulative time
    (the backend's work runs in a worker thread, so it is profiled there too)."""
    import cProfile
    import pstats
    import threading

    profiler = cProfile.Profile()
    threading.setprofile(lambda *a: None)  # keep worker threads out of sys.setprofile noise
    # Profile the worker thread that LocalSeparator's asyncio.to_thread uses, and the loop.
    orig_run = backend.separate

    def separate(batch):
        profiler.enable()
        try:
            return orig_run(batch)
        finally:
            profiler.disable()

    backend.separate = separate
    loop_profiler = cProfile.Profile()
    try:
        loop_profiler.enable()
        t = time.perf_counter()
        run_pipeline(backend, mixture, sample_rate, plan)
        wall = time.perf_counter() - t
        loop_profiler.disable()
    finally:
        del backend.separate
        threading.setprofile(None)
    out = [{"function": "total wall", "cumulative_s": round(wall, 4)}]
    for name, prof in (("backend.separate", profiler), ("pipeline (event loop side)", loop_profiler)):
        stats = pstats.Stats(prof)
        entries = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:top]  # type: ignore[attr-defined]
        for (file, line, fn), (_cc, nc, tt, ct, _callers) in entries:
            out.append(
                {
                    "where": name,
                    "function": f"{fn} ({Path(file).name}:{line})",
                    "calls": nc,
                    "self_s": round(tt, 4),
                    "cumulative_s": round(ct, 4),
                }
            )
    return out


def time_it(fn, repeats: int) -> tuple[list[float], float]:
    times, growth = [], 0.0
    for _ in range(repeats):
        with PeakRSS() as mem:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        growth = max(growth, mem.peak_growth_mb)
    return times, growth


def speed(args) -> tuple[list[dict], list[dict]]:
    import torch

    from serve_app.registry import backends as installed

    durations = [float(d) for d in args.durations.split(",") if d.strip()]
    names = [n.strip() for n in args.backends.split(",")] if args.backends else sorted(installed())
    rows, skipped = [], []
    floor_cache: dict[float, tuple[float, float]] = {}
    for name in names:
        cls = installed()[name]
        variants = cls.info.variants
        variant = args.variant if args.variant in variants else ("default" if "default" in variants else variants[0])

        def skip(why: str, name: str = name, variant: str = variant) -> None:
            skipped.append({"backend": name, "variant": variant, "why": why})
            print(f"  {name} ({variant}): skipped, {why}", flush=True)

        try:
            backend = cls(variant)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the others
            skip(f"could not be constructed: {type(exc).__name__}: {exc}")
            continue
        plans = accepted_plans(backend, PROMPTS if not args.prompt else [args.prompt])
        if not plans:
            skip(f"refuses every prompt in {PROMPTS}")
            continue
        plans = plans if args.all_plans else plans[:1]
        device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
        t = time.perf_counter()
        try:
            backend.load(device)
        except Exception as exc:  # noqa: BLE001 - e.g. weights or a package not installed here
            skip(f"failed to load on {device}: {type(exc).__name__}: {str(exc)[:300]}")
            continue
        load_s = time.perf_counter() - t
        for prompt, plan in plans:
            for seconds in durations:
                mixture = test_signal(seconds, args.sample_rate, channels=args.channels)
                repeats = args.repeats if seconds <= args.long_threshold else args.long_repeats
                if seconds not in floor_cache:
                    stft_mask_istft(mixture[:, : args.sample_rate], device=device)  # warm-up
                    floor_times, _ = time_it(partial(stft_mask_istft, mixture, device=device), max(repeats, 3))
                    floor_cache[seconds] = (median(floor_times), seconds)
                run_pipeline(backend, mixture[:, : min(mixture.shape[1], args.sample_rate)], args.sample_rate, plan)
                times, growth = time_it(partial(run_pipeline, backend, mixture, args.sample_rate, plan), repeats)
                floor_s = floor_cache[seconds][0]
                row = {
                    "backend": name,
                    "variant": variant,
                    "prompt": prompt,
                    "plan": plan.model_dump(mode="json"),
                    "device": device,
                    "audio_s": seconds,
                    "channels": args.channels,
                    "repeats": repeats,
                    "wall_s": median(times),
                    "rtf": median(times) / seconds,
                    "floor_s": floor_s,
                    "floor_rtf": floor_s / seconds,
                    "vs_floor": median(times) / floor_s if floor_s > 0 else float("nan"),
                    "x_realtime": seconds / median(times),
                    "peak_rss_growth_mb": growth,
                    "load_s": load_s,
                }
                if args.profile and seconds == durations[0]:
                    row["profile"] = profile_pipeline(backend, mixture, args.sample_rate, plan)
                rows.append(row)
                print(
                    f"  {name:<8} {prompt!r:<24} {seconds:6.0f} s  RTF {row['rtf']:.4f}  "
                    f"floor RTF {row['floor_rtf']:.5f}  x{row['vs_floor']:.0f} the floor  "
                    f"+{growth:.0f} MB",
                    flush=True,
                )
    return rows, skipped


# --- service memory ------------------------------------------------------------------
TOTAL = "all at once"


def sample_memory(groups: dict[str, list], seconds: float | None, until=None, interval_s: float = 0.5) -> dict:
    """RSS and PSS (MB) summed per group of processes: median and peak over the window.
    PSS splits pages shared between processes (torch's libraries in every replica, say)
    among them, so the groups' PSS add up to what the service holds; their RSS do not.
    The groups rarely peak at the same moment, so ``TOTAL`` (all groups in one sample)
    peaks below the sum of their peaks: what the service held at its fullest."""
    import psutil

    samples: dict[str, dict[str, list[float]]] = {n: {"rss": [], "pss": []} for n in [*groups, TOTAL]}
    end = time.monotonic() + (seconds or 0)
    while True:
        for name, procs in groups.items():
            rss = pss = 0.0
            for proc in procs:
                with contextlib.suppress(psutil.Error):
                    info = proc.memory_full_info()
                    rss, pss = rss + info.rss / 2**20, pss + info.pss / 2**20
            samples[name]["rss"].append(rss)
            samples[name]["pss"].append(pss)
        for kind in ("rss", "pss"):
            samples[TOTAL][kind].append(sum(samples[name][kind][-1] for name in groups))
        if until is not None:
            if until():
                break
        elif time.monotonic() >= end:
            break
        time.sleep(interval_s)
    return {
        n: {
            f"{kind}_{stat}": fn(v[kind]) for kind in ("rss", "pss") for stat, fn in (("median", median), ("peak", max))
        }
        for n, v in samples.items()
    }


def service_memory(args) -> dict[str, Any]:
    import httpx

    prefix = new_prefix("mem")
    out: dict[str, Any] = {}
    with (
        # The application as `make run` deploys it: every backend of configs/local.yaml.
        LocalService(
            service_config(free_port(), backend=None), args.redis_url, prefix, num_cpus=args.num_cpus
        ) as service,
        httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.key}"}, timeout=120) as client,
    ):
        out["processes"] = replica_processes()
        time.sleep(2)  # let start-up settle
        # Every process of the local Ray (replicas, Serve's actors, raylet, GCS, agents), by role;
        # not this benchmark's own process, which stands where `audiolasso serve` would.
        groups = {k: v for k, v in process_groups().items() if k != "client (this process)"}
        out["idle"] = sample_memory(groups, seconds=args.idle_seconds)
        file_id = upload(client, test_signal(args.load_seconds, 44100, channels=2), 44100)
        bodies = []
        for i in range(args.load_jobs):
            # Default-backend prompts, routed ones too: dsp and learned both work, as in use.
            prompt = LOAD_PROMPTS[i % len(LOAD_PROMPTS)]
            r = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt}})
            r.raise_for_status()
            bodies.append(r.json())
        pending = {b["request_id"]: b for b in bodies}
        last_poll = [0.0]

        def done() -> bool:
            if time.monotonic() - last_poll[0] < 0.5:
                return False
            last_poll[0] = time.monotonic()
            for rid, b in list(pending.items()):
                if client.get(b["status_url"]).json()["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                    pending.pop(rid)
            return not pending

        t = time.perf_counter()
        out["load"] = sample_memory(groups, seconds=None, until=done)
        out["load_wall_s"] = time.perf_counter() - t
        out["load_desc"] = f"{args.load_jobs} concurrent jobs of {args.load_seconds:g} s stereo 44.1 kHz"
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--durations", default="10,60,600", help="input lengths in seconds (default 10,60,600)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of each short input; medians (default 3)")
    p.add_argument(
        "--long-threshold",
        type=float,
        default=120.0,
        help="inputs longer than this many seconds run --long-repeats times (default 120)",
    )
    p.add_argument("--long-repeats", type=int, default=1, help="repeats of long inputs (default 1)")
    p.add_argument("--backends", default=None, help="comma-separated backends (default: every installed one)")
    p.add_argument(
        "--variant",
        default=None,
        help="backend variant where a backend has it (default: 'default', else its first variant)",
    )
    p.add_argument("--prompt", default=None, help="use this prompt instead of trying the built-in list")
    p.add_argument("--all-plans", action="store_true", help="measure every distinct plan a backend accepts")
    p.add_argument("--device", default=None, help="backend device (default: cuda if available, else cpu)")
    p.add_argument("--sample-rate", type=int, default=44100, help="input sample rate (default 44100)")
    p.add_argument("--channels", type=int, default=1, help="input channels (default 1)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="compute threads in this process (numpy's BLAS, torch); 1 matches a Separator replica with "
        "num_cpus 1 (Ray sets OMP_NUM_THREADS to floor(num_cpus) in its workers); 0 keeps the "
        "libraries' defaults (default 1)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one run of the first duration per backend (top functions into the JSON)",
    )
    p.add_argument("--no-service", action="store_true", help="skip the service memory part (no Ray)")
    p.add_argument("--idle-seconds", type=float, default=5.0, help="idle RSS sampling window (default 5 s)")
    p.add_argument("--load-jobs", type=int, default=4, help="concurrent jobs for RSS under load (default 4)")
    p.add_argument("--load-seconds", type=float, default=60.0, help="length of each load job (default 60 s)")
    p.add_argument("--redis-url", default=redis_url_default())
    p.add_argument("--num-cpus", type=int, default=None, help="logical CPUs given to the local Ray")
    p.add_argument("--output", help="JSON result path (default bench/results/separation_speed.json)")
    args = p.parse_args(argv)

    result: dict[str, Any] = {
        "benchmark": "separation_speed",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": vars(args),
        "floor": "torch.stft (n_fft 2048, hop 512, hann) -> power soft mask -> torch.istft of the whole input",
    }
    if args.threads:
        limit_threads(args.threads)
    rows, skipped = speed(args)
    result["speed"] = rows
    result["skipped_backends"] = skipped
    print()
    print(
        table(
            rows,
            [
                "backend",
                "prompt",
                "device",
                "audio_s",
                "repeats",
                "wall_s",
                "rtf",
                "x_realtime",
                "floor_rtf",
                "vs_floor",
                "peak_rss_growth_mb",
            ],
        )
    )
    if not args.no_service:
        mem = service_memory(args)
        result["service_memory"] = mem
        columns = ("idle_rss_mb", "idle_pss_mb", "load_peak_rss_mb", "load_peak_pss_mb")
        mem_rows = [
            {
                "process": name,
                "idle_rss_mb": mem["idle"][name]["rss_median"],
                "idle_pss_mb": mem["idle"][name]["pss_median"],
                "load_peak_rss_mb": mem["load"][name]["rss_peak"],
                "load_peak_pss_mb": mem["load"][name]["pss_peak"],
            }
            for name in sorted(mem["idle"], key=lambda n: -mem["load"][n]["pss_peak"])
            if name != TOTAL
        ]
        mem_rows.append({"process": "total (sum of the peaks)", **{k: sum(r[k] for r in mem_rows) for k in columns}})
        mem_rows.append(
            {
                "process": "total (at its fullest)",
                "idle_rss_mb": mem["idle"][TOTAL]["rss_median"],
                "idle_pss_mb": mem["idle"][TOTAL]["pss_median"],
                "load_peak_rss_mb": mem["load"][TOTAL]["rss_peak"],
                "load_peak_pss_mb": mem["load"][TOTAL]["pss_peak"],
            }
        )
        result["memory_table"] = mem_rows
        print(f"\nService memory (MB), idle and under load ({mem['load_desc']}, {mem['load_wall_s']:.1f} s):")
        print(table(mem_rows))
    out = write_result("separation_speed", result, args.output)
    print(f"\nwritten to {out}")
    return result


if __name__ == "__main__":
    main()
