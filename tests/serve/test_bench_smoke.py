"""Smoke test of the benchmarks (bench/), so the scripts do not rot: each service
benchmark really deploys the application (its own local Ray Serve, as its README
says) at a tiny size, and the pieces that need no Ray are checked on their own.
The figures at these sizes mean nothing; that each script runs end to end does."""

from __future__ import annotations

import json
import math

import pytest

from bench import batching, faults, multinode, queue_latency, separation_speed, submit_path, time_to_result
from serve_app.registry import backends


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.mark.parametrize(
    "module", [submit_path, queue_latency, batching, separation_speed, faults, time_to_result, multinode]
)
def test_every_script_has_help(module, capsys):
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    assert "--output" in capsys.readouterr().out


def test_separation_speed_in_process(tmp_path):
    out = tmp_path / "speed.json"
    result = separation_speed.main(["--durations", "1", "--repeats", "1", "--no-service", "--output", str(out)])
    assert json.loads(out.read_text())["benchmark"] == "separation_speed"
    measured = {row["backend"] for row in result["speed"]}
    skipped = {row["backend"] for row in result["skipped_backends"]}
    assert measured | skipped == set(backends()) and "dsp" in measured
    for row in result["speed"]:
        assert row["audio_s"] == 1
        for field in ("wall_s", "rtf", "floor_s", "floor_rtf", "vs_floor", "x_realtime"):
            assert _positive(row[field]), (field, row)
        assert math.isclose(row["rtf"], row["wall_s"] / row["audio_s"])


def test_submit_path_baseline_app(redis_url, tmp_path):
    out = tmp_path / "submit.json"
    result = submit_path.main(
        [
            "--targets",
            "baseline",
            "--concurrency",
            "1,4",
            "--requests",
            "24",
            "--warmup",
            "2",
            "--repeats",
            "1",
            "--redis-url",
            redis_url,
            "--output",
            str(out),
        ]
    )
    saved = json.loads(out.read_text())
    assert saved["summary"].keys() == {"1", "4"}
    for c in ("1", "4"):
        stats = saved["summary"][c]["baseline"]
        assert stats["errors"] == 0
        assert _positive(stats["rps"]) and _positive(stats["p50_ms"])
        assert stats["p99_ms"] >= stats["p50_ms"]
    assert all(run["ok"] == 32 if run["concurrency"] == 4 else run["ok"] == 24 for run in result["runs"])


def test_queue_latency_reads_the_event_log():
    events = [
        ("1000-0", {"status": "IN_QUEUE", "at": "2025-01-01T00:00:00.000Z"}),
        ("1012-0", {"status": "IN_PROGRESS", "at": "2025-01-01T00:00:00.012Z"}),
        (
            "1500-0",
            {
                "status": "IN_PROGRESS",
                "at": "2025-01-01T00:00:00.500Z",
                "progress": {"chunks_done": 1, "chunks_total": 2},
            },
        ),
        (
            "1900-0",
            {
                "status": "IN_PROGRESS",
                "at": "2025-01-01T00:00:00.900Z",
                "progress": {"chunks_done": 2, "chunks_total": 2},
            },
        ),
        ("1930-0", {"status": "COMPLETED", "at": "2025-01-01T00:00:00.930Z"}),
    ]
    marks = queue_latency.server_side(events)
    assert marks["claim_delay_ms"] == 12
    assert marks["model_done_to_terminal_event_ms"] == 30
    assert marks["terminal_status"] == "COMPLETED"
    assert math.isclose(marks["model_done_epoch"] % 60, 0.9, abs_tol=1e-6)


def test_batching_counts_only_the_batches_of_a_phase():
    before = {"batch_sizes": {"1": 3, "8": 1}}
    after = {"batch_sizes": {"1": 3, "8": 4, "5": 2}}
    assert batching.batch_diff(before, after) == {5: 2, 8: 3}


@pytest.mark.parametrize("backend", ["dsp", "learned"])
def test_the_service_benchmarks_config_builds(backend):
    """What submit_path, queue_latency and batching deploy: the shipped config narrowed to one
    backend must still build (a concept route to a backend left out would refuse to deploy)."""
    from bench.common import service_config
    from serve_app.application import build_app

    (app,) = service_config(8000, backend=backend)["applications"]
    build_app(app["args"])
    assert [b["name"] for b in app["args"]["backends"]] == [backend]


def test_submit_path_deploys_and_measures_the_service(redis_url, tmp_path):
    result = submit_path.main(
        ["--targets", "service", "--concurrency", "2", "--requests", "16", "--warmup", "1", "--repeats", "1"]
        + ["--redis-url", redis_url, "--output", str(tmp_path / "submit.json")]
    )
    (run,) = result["runs"]
    assert run["target"] == "service" and run["ok"] == 16 and not any(run["errors"].values())


def test_queue_latency_deploys_and_follows_a_job_both_ways(redis_url, tmp_path):
    result = queue_latency.main(
        ["--jobs", "1", "--warmup", "0", "--seconds", "0.5", "--redis-url", redis_url]
        + ["--output", str(tmp_path / "latency.json")]
    )
    assert {r["mode"] for r in result["runs"]} == {"status", "stream"}
    for row in result["runs"]:
        assert row["status"] == "COMPLETED" and _positive(row["submit_to_in_progress_ms"])


def test_batching_deploys_and_reconfigures_the_batch_size(redis_url, tmp_path):
    result = batching.main(
        ["--jobs", "2", "--lengths", "1", "--repeats", "1", "--batch-size", "2", "--redis-url", redis_url]
        + ["--output", str(tmp_path / "batching.json")]
    )
    assert [r["max_batch_size"] for r in result["table"]] == [1, 2]
    assert not result["replica_restarted"]  # reconfigure, not a new replica
    assert all(_positive(r["throughput"]) for r in result["table"])


def test_time_to_result_deploys_and_downloads_both_tracks(redis_url, tmp_path):
    result = time_to_result.main(
        ["--durations", "1", "--concurrency", "1,2", "--redis-url", redis_url]
        + ["--output", str(tmp_path / "ttr.json")]
    )
    assert [(r["audio_s"], r["jobs"]) for r in result["runs"]] == [(1.0, 1), (1.0, 2)]
    for row in result["runs"]:
        assert _positive(row["service_s"]) and _positive(row["in_process_s"]) and row["overhead"] > 1
