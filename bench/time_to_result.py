#!/usr/bin/env python
"""Time to result: what a user waits for, seen from the client.

For each input length (default 10, 60 and 600 s) and number of jobs at once (1 and 8):
the wall time from the start of the uploads to the last track downloaded, through the
project's own client (``AsyncClient.separate``: upload, submit, follow the status stream,
download target and residual), on the real application (configs/local.yaml narrowed to
the default backend, on a local Ray Serve). The baseline, in the same run, is the
separation itself in this process: the backend's plan for the prompt and
``separate_audio`` with a ``LocalSeparator`` — what the QueueWorker does between claiming
the job and encoding the result. The ratio is the service's overhead (HTTP, queueing,
decode, encode, storage, Redis, the Serve hops). With N jobs at once the baseline is N
in-process separations at once, with as many chunks at a time as the deployed Separator
runs (its ``max_concurrent_batches``).

Combinations with more than ``--max-total-audio-s`` of audio (length x jobs) are skipped.

Example:
  .venv/bin/python bench/time_to_result.py --durations 10,60,600 --concurrency 1,8
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    LocalService,
    free_port,
    limit_threads,
    machine_info,
    median,
    new_prefix,
    redis_url_default,
    separator_user_config,
    service_config,
    table,
    test_signal,
    wav_bytes,
    write_result,
)
from bench.separation_speed import run_pipeline


class InProcess:
    """The worker's separation path in this process, for one backend and prompt, with as
    many chunks at a time as the deployed Separator."""

    def __init__(self, backend: str, prompt: str, concurrency: int):
        from serve_app.registry import get_backend
        from serve_app.understanding.reading import read

        self.instance = get_backend(backend)()
        self.instance.load("cpu")
        self.plan = self.instance.plan(read(prompt), [])
        self.concurrency = concurrency

    def seconds(self, audio, sample_rate: int, jobs: int) -> float:
        """Wall time of ``jobs`` separations of ``audio`` at once."""
        t = time.perf_counter()
        run_pipeline(self.instance, audio, sample_rate, self.plan, jobs=jobs, concurrency=self.concurrency)
        return time.perf_counter() - t


async def through_the_service(
    url: str, key: str, files: list[Path], prompt: str, out: Path
) -> tuple[float, list[dict[str, float]]]:
    """Wall seconds for every file to be separated and both tracks downloaded, all at once, and
    each result's own ``timings`` (queue, fetch, decode, separate, encode, total seconds)."""
    from serve_app.client import AsyncClient

    async with AsyncClient(url, key, timeout_s=600) as client:
        t = time.perf_counter()
        results = await asyncio.gather(
            *(client.separate(f, prompt, out_dir=out / str(i), timeout_s=3600) for i, f in enumerate(files))
        )
        wall = time.perf_counter() - t
    return wall, [r.timings.model_dump(exclude_none=True) for r in results]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--durations", default="10,60,600", help="input lengths in seconds (default 10,60,600)")
    p.add_argument("--concurrency", default="1,8", help="jobs at once (default 1,8)")
    p.add_argument(
        "--max-total-audio-s",
        type=float,
        default=600.0,
        help="skip combinations with more audio than this (length x jobs; default 600)",
    )
    p.add_argument("--repeats", type=int, default=1, help="repeats of each combination; medians (default 1)")
    p.add_argument("--backend", default="dsp", help="the backend deployed and measured in-process (default dsp)")
    p.add_argument("--prompt", default="isolate the speaker", help="job prompt (default 'isolate the speaker')")
    p.add_argument("--sample-rate", type=int, default=44100, help="input sample rate (default 44100)")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="compute threads for the in-process baseline (numpy's BLAS, torch); 1 matches a Separator replica "
        "with num_cpus 1 (default 1)",
    )
    p.add_argument("--redis-url", default=redis_url_default())
    p.add_argument("--num-cpus", type=int, default=None, help="logical CPUs given to the local Ray")
    p.add_argument("--output", help="JSON result path (default bench/results/time_to_result.json)")
    args = p.parse_args(argv)

    limit_threads(args.threads)
    durations = [float(d) for d in args.durations.split(",")]
    concurrency = [int(c) for c in args.concurrency.split(",")]
    combos = [(d, c) for d in durations for c in concurrency if d * c <= args.max_total_audio_s]
    result: dict[str, Any] = {
        "benchmark": "time_to_result",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": vars(args),
        "skipped": [{"audio_s": d, "jobs": c} for d in durations for c in concurrency if (d, c) not in combos],
    }
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="audiolasso-ttr-") as tmp:
        work = Path(tmp)
        inputs = {}
        for d in durations:
            audio = test_signal(d, args.sample_rate, seed=int(d))
            path = work / f"input-{d:g}s.wav"
            path.write_bytes(wav_bytes(audio, args.sample_rate))
            inputs[d] = (audio, path)
        config = service_config(free_port(), backend=args.backend)
        chunks_at_once = int(separator_user_config(config, args.backend).get("max_concurrent_batches", 1))
        in_process = InProcess(args.backend, args.prompt, chunks_at_once)
        with LocalService(config, args.redis_url, new_prefix("ttr"), num_cpus=args.num_cpus) as service:
            for d, c in combos:
                # The baseline beside each service run, on the machine as it is then (the service
                # deployed and idle), so both see the same load.
                baseline = median([in_process.seconds(inputs[d][0], args.sample_rate, c) for _ in range(args.repeats)])
                walls, timings = [], []
                for r in range(args.repeats):
                    out = work / f"out-{d:g}-{c}-{r}"
                    wall, job_timings = asyncio.run(
                        through_the_service(service.url, service.key, [inputs[d][1]] * c, args.prompt, out)
                    )
                    walls.append(wall)
                    timings.append(job_timings[0])
                wall = median(walls)
                # With several jobs at once their separate_s overlap (each waits for the one replica):
                # only a lone job's says how fast the replica separates, and where the rest went.
                lone = {k: round(median([t[k] for t in timings]), 3) for k in timings[0]} if c == 1 else None
                separating_s = lone["separate_s"] if lone else None
                rows.append(
                    {
                        "audio_s": d,
                        "jobs": c,
                        "service_s": round(wall, 3),
                        "in_process_s": round(baseline, 3),
                        "overhead": round(wall / baseline, 3),
                        "service_separating_s": separating_s,
                        "separating_vs_in_process": round(separating_s / baseline, 3) if separating_s else None,
                        "rtf_service": round(wall / (d * c), 4),
                        "lone_job_timings": lone,
                    }
                )
                print(rows[-1], flush=True)
    result["runs"] = rows
    columns = [
        "audio_s",
        "jobs",
        "service_s",
        "in_process_s",
        "overhead",
        "service_separating_s",
        "separating_vs_in_process",
        "rtf_service",
    ]
    print()
    print(table(rows, columns))
    print(f"\nwrote {write_result('time_to_result', result, args.output)}")
    return result


if __name__ == "__main__":
    main()
