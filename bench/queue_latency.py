#!/usr/bin/env python
"""Queue latency on an idle service: how long after the 202 a job shows
IN_PROGRESS, and how long after the model finished it shows COMPLETED — as a
client sees it on the status endpoint (polled) and, when the service has it,
on the Server-Sent-Events stream endpoint (``GET …/status/stream``).

Jobs run one at a time (the service is idle when each is submitted).

Where "model completion" comes from: the job's event log in Redis. The worker
appends one IN_PROGRESS event with ``progress`` after every chunk the
Separator returns; the event with ``chunks_done == chunks_total`` is written
the moment the last chunk's separation came back, i.e. at model completion.
Its ``at`` field (the worker's wall clock, ms) is compared with the client's
wall clock (same machine). What lies between is overlap-add, resampling,
encoding and storing both tracks, the terminal Redis transition, and the
client noticing; the result's ``timings.encode_s`` is reported beside it.
Server-side twins of both numbers use only Redis stream ids (one clock).

Example:
  .venv/bin/python bench/queue_latency.py --jobs 20
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from datetime import datetime
from typing import Any

from bench.common import (
    LocalService,
    free_port,
    machine_info,
    median,
    new_prefix,
    percentile,
    redis_url_default,
    service_config,
    table,
    test_signal,
    upload,
    write_result,
)
from serve_app.store.keys import RedisKeys

TARGET_MS = 50.0


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _stream_ms(event_id: str) -> int:
    return int(event_id.split("-")[0])


def event_log(redis_url: str, prefix: str, request_id: str) -> list[tuple[str, dict]]:
    import redis

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    return [(eid, json.loads(f["data"])) for eid, f in r.xrange(RedisKeys(prefix).events(request_id))]


def server_side(events: list[tuple[str, dict]]) -> dict[str, Any]:
    """Marks from the event log: queued, claimed, model done, terminal."""
    marks: dict[str, Any] = {}
    for eid, ev in events:
        st = ev.get("status")
        if st == "IN_QUEUE" and "queued" not in marks:
            marks["queued"] = (eid, ev)
        elif st == "IN_PROGRESS" and "progress" not in ev and "claimed" not in marks:
            marks["claimed"] = (eid, ev)
        elif st == "IN_PROGRESS" and ev.get("progress"):
            prog = ev["progress"]
            if prog.get("chunks_done") == prog.get("chunks_total"):
                marks["model_done"] = (eid, ev)
        elif st in ("COMPLETED", "FAILED", "CANCELLED"):
            marks["terminal"] = (eid, ev)
    out: dict[str, Any] = {"terminal_status": marks.get("terminal", (None, {}))[1].get("status")}
    if "queued" in marks and "claimed" in marks:
        out["claim_delay_ms"] = _stream_ms(marks["claimed"][0]) - _stream_ms(marks["queued"][0])
    if "model_done" in marks:
        out["model_done_epoch"] = _epoch(marks["model_done"][1]["at"])
        if "terminal" in marks:
            out["model_done_to_terminal_event_ms"] = _stream_ms(marks["terminal"][0]) - _stream_ms(
                marks["model_done"][0]
            )
    return out


def detect_stream(client) -> bool:
    """Whether the service has the SSE endpoint: its OpenAPI schema lists it."""
    with contextlib.suppress(Exception):
        paths = client.get("/openapi.json").json().get("paths", {})
        return any(path.endswith("/status/stream") for path in paths)
    return False


def submit(client, file_id: str, prompt: str) -> tuple[dict, float]:
    response = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt}})
    t = time.time()
    if response.status_code != 202:
        raise RuntimeError(f"submit failed: {response.status_code} {response.text}")
    return response.json(), t


def watch_status(client, body: dict, poll_s: float, timeout_s: float) -> dict[str, float]:
    """Poll the status endpoint; wall-clock times when IN_PROGRESS and the terminal state were first seen."""
    seen: dict[str, float] = {}
    polls = 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(body["status_url"]).json()["status"]
        polls += 1
        now = time.time()
        if status in ("IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED") and "in_progress" not in seen:
            seen["in_progress"] = now
            seen["in_progress_status"] = status
        if status in ("COMPLETED", "FAILED", "CANCELLED"):
            seen["terminal"] = now
            seen["terminal_status"] = status
            seen["polls"] = polls
            return seen
        time.sleep(poll_s)
    raise TimeoutError(f"{body['request_id']} did not finish in {timeout_s} s")


def watch_stream(client, body: dict, timeout_s: float) -> dict[str, float]:
    """Follow the SSE stream; wall-clock times when IN_PROGRESS and the terminal event arrived."""
    seen: dict[str, float] = {}
    with client.stream(
        "GET", body["stream_url"], headers={"Accept": "text/event-stream"}, timeout=timeout_s
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"stream answered {response.status_code}")
        data: list[str] = []
        for line in response.iter_lines():
            if line.startswith("data:"):
                data.append(line[5:].strip())
                continue
            if line or not data:
                continue  # comments (keep-alives), id/event fields, or a blank line with no data
            now = time.time()
            event = json.loads("\n".join(data))
            data = []
            status = event.get("status")
            if status in ("IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED") and "in_progress" not in seen:
                seen["in_progress"] = now
            if status in ("COMPLETED", "FAILED", "CANCELLED"):
                seen["terminal"] = now
                seen["terminal_status"] = status
                return seen
    raise RuntimeError("the stream ended without a terminal event")


def measure(
    client, redis_url: str, prefix: str, file_id: str, prompt: str, mode: str, poll_s: float, timeout_s: float
) -> dict[str, Any]:
    body, t202 = submit(client, file_id, prompt)
    seen = watch_status(client, body, poll_s, timeout_s) if mode == "status" else watch_stream(client, body, timeout_s)
    server = server_side(event_log(redis_url, prefix, body["request_id"]))
    job = client.get(body["result_url"]).json()
    row: dict[str, Any] = {
        "mode": mode,
        "request_id": body["request_id"],
        "status": seen.get("terminal_status"),
        "submit_to_in_progress_ms": (seen["in_progress"] - t202) * 1000,
        "claim_delay_ms": server.get("claim_delay_ms"),
        "model_done_to_terminal_event_ms": server.get("model_done_to_terminal_event_ms"),
        "encode_s": (job.get("timings") or {}).get("encode_s"),
        "separate_s": (job.get("timings") or {}).get("separate_s"),
    }
    if "model_done_epoch" in server:
        row["model_done_to_completed_ms"] = (seen["terminal"] - server["model_done_epoch"]) * 1000
    if "polls" in seen:
        row["polls"] = seen["polls"]
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=20, help="timed jobs per mode (default 20)")
    p.add_argument("--warmup", type=int, default=2, help="untimed jobs first (default 2)")
    p.add_argument("--seconds", type=float, default=2.0, help="length of the job's audio (default 2 s)")
    p.add_argument("--prompt", default="isolate the speaker", help="job prompt (default 'isolate the speaker')")
    p.add_argument("--poll-ms", type=float, default=5.0, help="status poll interval (default 5 ms)")
    p.add_argument(
        "--modes",
        default="status,stream",
        help="status and/or stream; stream is skipped when the service has no stream endpoint",
    )
    p.add_argument("--url", help="measure a running service at this URL (same machine, same Redis)")
    p.add_argument("--api-key", help="API key for --url")
    p.add_argument("--redis-prefix", default="al", help="the running service's key prefix, with --url (default al)")
    p.add_argument("--redis-url", default=redis_url_default(), help="Redis (the service's, for its event log)")
    p.add_argument("--num-cpus", type=int, default=None, help="logical CPUs given to the local Ray")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds one job may take")
    p.add_argument("--output", help="JSON result path (default bench/results/queue_latency.json)")
    args = p.parse_args(argv)
    if args.url and not args.api_key:
        p.error("--url needs --api-key")

    import httpx

    result: dict[str, Any] = {
        "benchmark": "queue_latency",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "config": {k: v for k, v in vars(args).items() if k != "api_key"},
        "model_completion_source": "event log: the IN_PROGRESS event whose progress has chunks_done == "
        "chunks_total (written when the last chunk's separation returned)",
        "runs": [],
    }
    with contextlib.ExitStack() as stack:
        if args.url:
            url, key, prefix = args.url.rstrip("/"), args.api_key, args.redis_prefix
        else:
            prefix = new_prefix("queue")
            service = stack.enter_context(
                LocalService(service_config(free_port()), args.redis_url, prefix, num_cpus=args.num_cpus)
            )
            url, key = service.url, service.key
            result["service_startup_s"] = service.startup_s
        client = stack.enter_context(
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=args.timeout)
        )
        file_id = upload(client, test_signal(args.seconds, 48000), 48000)
        has_stream = detect_stream(client)
        result["stream_endpoint"] = has_stream
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        if "stream" in modes and not has_stream:
            print("the service has no …/status/stream endpoint yet: stream mode skipped", flush=True)
            modes.remove("stream")
        for mode in modes:
            for i in range(args.warmup + args.jobs):
                row = measure(
                    client, args.redis_url, prefix, file_id, args.prompt, mode, args.poll_ms / 1000, args.timeout
                )
                if i < args.warmup:
                    continue
                result["runs"].append(row)
                print(
                    f"  {mode:<6} #{i - args.warmup:<3} submit->IN_PROGRESS {row['submit_to_in_progress_ms']:6.1f} ms"
                    f"  model done->COMPLETED {row.get('model_done_to_completed_ms', float('nan')):6.1f} ms"
                    f"  (claim {row['claim_delay_ms']} ms, server post-model "
                    f"{row['model_done_to_terminal_event_ms']} ms)  {row['status']}",
                    flush=True,
                )

    rows = []
    for mode in dict.fromkeys(r["mode"] for r in result["runs"]):
        runs = [r for r in result["runs"] if r["mode"] == mode]

        def col(name: str, runs: list[dict] = runs) -> list[float]:
            return [r[name] for r in runs if r.get(name) is not None]

        rows.append(
            {
                "endpoint": mode,
                "jobs": len(runs),
                "completed": sum(r["status"] == "COMPLETED" for r in runs),
                "submit_to_in_progress_p50_ms": median(col("submit_to_in_progress_ms")),
                "submit_to_in_progress_p90_ms": percentile(col("submit_to_in_progress_ms"), 90),
                "claim_delay_p50_ms": median(col("claim_delay_ms")),
                "model_done_to_completed_p50_ms": median(col("model_done_to_completed_ms")),
                "model_done_to_completed_p90_ms": percentile(col("model_done_to_completed_ms"), 90),
                "post_model_server_p50_ms": median(col("model_done_to_terminal_event_ms")),
                "encode_p50_ms": median([v * 1000 for v in col("encode_s")]),
            }
        )
    result["table"] = rows
    result["targets"] = {
        "median_ms_max": TARGET_MS,
        "by_endpoint": {
            r["endpoint"]: {
                "submit_to_in_progress_ok": r["submit_to_in_progress_p50_ms"] < TARGET_MS,
                "model_done_to_completed_ok": r["model_done_to_completed_p50_ms"] < TARGET_MS,
            }
            for r in rows
        },
    }
    out = write_result("queue_latency", result, args.output)
    print()
    print(
        table(
            rows,
            [
                "endpoint",
                "jobs",
                "completed",
                "submit_to_in_progress_p50_ms",
                "submit_to_in_progress_p90_ms",
                "claim_delay_p50_ms",
                "model_done_to_completed_p50_ms",
                "model_done_to_completed_p90_ms",
                "post_model_server_p50_ms",
                "encode_p50_ms",
            ],
        )
    )
    print(f"\nwritten to {out}")
    return result


if __name__ == "__main__":
    main()
