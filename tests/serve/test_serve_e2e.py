"""The whole service on a real local Ray Serve (started once for this module):
Serve proxy -> Ingress -> Redis <- QueueWorker -> Separator deployments.

It deploys the shipped configs/local.yaml, extended with the out-of-tree test
plugin (tests/plugin_pkg), which this module builds as a wheel and installs
into a private folder that the Ray workers import from.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
import redis
import soundfile as sf
import yaml

from bench.common import create_key
from serve_app.audio.metrics import si_sdr
from serve_app.clock import parse_iso
from serve_app.store.keys import RedisKeys
from support import REPO
from support.audio import drums_plus_tones, speech_plus_noise
from support.service import wait_status
from support.sse_client import SSEEvent, read_events

ROOT = REPO
APP = "audiolasso"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install_test_plugin(target: Path) -> None:
    source, wheels = target.parent / "plugin_src", target.parent / "wheels"
    shutil.copytree(ROOT / "tests" / "plugin_pkg", source)  # builds write into the source tree
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)], check=True)
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), *map(str, wheels.glob("*.whl"))], check=True)


def _config(port: int) -> dict:
    config = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    config["http_options"]["port"] = port
    app = config["applications"][0]
    app["args"]["backends"].append({"name": "lowpass", "options": {"seconds_per_chunk": 0.1}})
    app["deployments"].append(
        {
            "name": "Separator-lowpass",
            "max_ongoing_requests": 16,
            "user_config": {"max_batch_size": 4, "batch_wait_timeout_s": 0.05},
            "ray_actor_options": {"num_cpus": 0.25},
        }
    )
    # The test plugin's failure-prone twin of lowpass: a poisoned word, and out of memory above 2 chunks a batch.
    app["args"]["backends"].append(
        {"name": "flaky", "options": {"seconds_per_chunk": 0.1, "oom_above_items": 2, "poison_word": "poison"}}
    )
    app["deployments"].append(
        {
            "name": "Separator-flaky",
            "max_ongoing_requests": 16,
            "user_config": {"max_batch_size": 4, "batch_wait_timeout_s": 0.1},
            "ray_actor_options": {"num_cpus": 0.25},
        }
    )
    # A SAM Audio variant that cannot load here (no sam_audio, no weights): the
    # application must deploy anyway and the other backends keep serving.
    app["args"]["backends"].append(
        {"name": "sam-audio", "variant": "small", "options": {"model_path": "/nonexistent/sam-audio-small"}}
    )
    app["deployments"].append(
        {"name": "Separator-sam-audio-small", "ray_actor_options": {"num_cpus": 0.25, "num_gpus": 0}}
    )
    for deployment in app["deployments"]:
        if deployment["name"] == "QueueWorker":
            deployment["health_check_period_s"] = 1  # notice the killed replica quickly
    return config


@pytest.fixture(scope="module")
def serve_url(redis_url, tmp_path_factory):
    import ray
    from ray import serve

    from serve_app import registry
    from serve_app.launcher import deploy, load_config

    work = tmp_path_factory.mktemp("serve")
    site = work / "site"
    _install_test_plugin(site)
    saved = dict(os.environ)
    os.environ.update(
        {
            "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
            "AUDIOLASSO_REDIS_URL": redis_url,
            "AUDIOLASSO_REDIS_PREFIX": f"e2e-{uuid.uuid4().hex[:10]}",
            "AUDIOLASSO_DATA_DIR": str(work / "data"),
            "AUDIOLASSO_VISIBILITY_TIMEOUT_S": "3",
            "AUDIOLASSO_METRICS_PORT": str(_free_port()),
            # Autoscaling reports every second rather than every ten (the autoscaling test).
            "RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S": "1",
            "RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S": "1",
        }
    )
    sys.path.insert(0, str(site))
    registry.plugin_manager.cache_clear()
    port = _free_port()
    config_file = work / "config.yaml"
    config_file.write_text(yaml.safe_dump(_config(port)))
    try:
        deploy(load_config(config_file), num_cpus=4)
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()
        os.environ.clear()
        os.environ.update(saved)
        sys.path.remove(str(site))
        registry.plugin_manager.cache_clear()


@pytest.fixture(scope="module")
def client(serve_url):
    key = create_key(os.environ["AUDIOLASSO_REDIS_URL"], os.environ["AUDIOLASSO_REDIS_PREFIX"], "e2e")
    with httpx.Client(base_url=serve_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


def _upload(client, audio: np.ndarray, sr: int) -> str:
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format="WAV", subtype="FLOAT")
    response = client.post("/v1/files", files={"file": ("mix.wav", buf.getvalue())})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


def _submit(client, **input_fields) -> dict:
    response = client.post("/v1/queue/audio/separate", json={"input": input_fields})
    assert response.status_code == 202, response.text
    return response.json()


def _download(client, obj: dict) -> np.ndarray:
    audio, _ = sf.read(io.BytesIO(client.get(obj["url"]).content), dtype="float32")
    return audio


def test_speech_separation_through_serve(client):
    mix, clean, sr = speech_plus_noise(snr_db=0.0, seed=7)
    body = _submit(client, file_id=_upload(client, mix, sr), prompt="remove the noise and keep the speaker")
    assert wait_status(client, body["request_id"], timeout=120)["status"] == "COMPLETED"
    result = client.get(body["result_url"]).json()
    target, residual = _download(client, result["target"]), _download(client, result["residual"])
    assert len(target) == len(mix)
    np.testing.assert_allclose(target + residual, mix, atol=1e-6)
    improvement = si_sdr(target, clean) - si_sdr(mix, clean)
    assert improvement >= 3.0, improvement


def test_the_playground_is_served_through_the_serve_proxy(client):
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and 'src="app.js"' in page.text
    assert client.get("/playground/app.js").headers["content-type"].startswith("text/javascript")


def test_the_shipped_routes_serve_drums_by_their_family(client):
    """configs/local.yaml routes instruments to the mean of dsp's and learned's estimates (``instrument``)."""
    mix, drums, sr = drums_plus_tones(seed=3, seconds=4.0, sr=44100)
    body = _submit(client, file_id=_upload(client, mix, sr), prompt="isolate the drums")
    assert wait_status(client, body["request_id"], timeout=120)["status"] == "COMPLETED"
    result = client.get(body["result_url"]).json()
    assert result["backend"] == "dsp+learned"
    assert si_sdr(_download(client, result["target"]), drums) - si_sdr(mix, drums) >= 3.0


def test_out_of_tree_plugin_serves_a_job_and_batches_form(client):
    from ray import serve

    sr = 16000
    t = np.arange(sr * 8) / sr
    low, high = 0.5 * np.sin(2 * np.pi * 110 * t), 0.3 * np.sin(2 * np.pi * 2000 * t)
    file_id = _upload(client, (low + high).astype(np.float32), sr)
    with ThreadPoolExecutor(3) as pool:
        bodies = list(
            pool.map(lambda _: _submit(client, file_id=file_id, prompt="keep the low end", backend="lowpass"), range(3))
        )
    for body in bodies:
        assert wait_status(client, body["request_id"], timeout=120)["status"] == "COMPLETED"
    target = _download(client, client.get(bodies[0]["result_url"]).json()["target"])
    assert si_sdr(target, low) > 20.0
    stats = serve.get_deployment_handle("Separator-lowpass", app_name=APP).stats.remote().result()
    assert max(stats["batch_sizes"]) > 1, stats  # chunks of concurrent jobs shared a forward pass
    assert max(stats["batch_sizes"]) <= 4  # the configured max_batch_size


def test_status_stream_arrives_incrementally_through_the_proxy(client):
    """SSE through the Serve proxy: each event reaches the client as it is
    logged, not when the stream ends; a reconnect with Last-Event-ID replays
    exactly what came after that event."""
    sr = 16000
    audio = np.random.default_rng(1).standard_normal(sr * 40).astype(np.float32) * 0.1
    body = _submit(client, file_id=_upload(client, audio, sr), prompt="keep the low end", backend="lowpass")
    arrivals: list[tuple[float, SSEEvent]] = []
    with client.stream("GET", body["stream_url"]) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for event in read_events(response.iter_lines()):
            if event.data is None:
                continue
            if not arrivals:  # the first event is here while the job still runs
                status = client.get(body["status_url"]).json()["status"]
                assert status in ("IN_QUEUE", "IN_PROGRESS"), status
            arrivals.append((time.monotonic(), event))
    events = [e for _, e in arrivals]
    assert events[-1].data["status"] == "COMPLETED"
    assert events[-1].data == client.get(body["status_url"]).json()
    done = [e.data["progress"]["chunks_done"] for e in events if e.data.get("progress")]
    assert len(done) >= 3 and done == sorted(done)
    assert arrivals[-1][0] - arrivals[0][0] > 0.5  # spread over the job, not delivered at once

    middle = events[len(events) // 2]
    with client.stream("GET", body["stream_url"], headers={"Last-Event-ID": middle.id}) as response:
        replayed = [e for e in read_events(response.iter_lines()) if e.data is not None]
    assert [e.id for e in replayed] == [e.id for e in events[len(events) // 2 + 1 :]]


def test_progress_reaches_the_client_as_each_chunk_finishes(client):
    """The shipped config's default backend (dsp): one progress event per chunk, in order,
    logged as each chunk finishes, so they spread over the separation instead of arriving
    together at its end."""
    sr = 16000
    audio = np.random.default_rng(2).standard_normal(sr * 80).astype(np.float32) * 0.1
    body = _submit(client, file_id=_upload(client, audio, sr), prompt="isolate the speaker")
    arrivals: list[tuple[float, dict]] = []
    with client.stream("GET", body["stream_url"]) as response:
        for event in read_events(response.iter_lines()):
            if event.data is not None:
                arrivals.append((time.monotonic(), event.data))
    final = arrivals[-1][1]
    assert final["status"] == "COMPLETED"
    progress = [(t, e["progress"]) for t, e in arrivals if e.get("progress")]
    total = progress[-1][1]["chunks_total"]
    assert total >= 4 and [p["chunks_done"] for _, p in progress] == list(range(1, total + 1))
    running = (parse_iso(final["completed_at"]) - parse_iso(final["started_at"])).total_seconds()
    # Chunks of equal length, two at a time (the config's max_concurrent_batches): the first
    # are done about 2/total of the way into the separation, which is most of the job's running time.
    spread = progress[-1][0] - progress[0][0]
    assert spread > 0.4 * running * (total - 2) / total, (spread, running, total)


def test_job_survives_the_kill_of_its_worker(client):
    import ray

    sr = 16000
    audio = np.random.default_rng(0).standard_normal(sr * 60).astype(np.float32) * 0.1
    body = _submit(client, file_id=_upload(client, audio, sr), prompt="keep the low end", backend="lowpass")
    rid = body["request_id"]
    running = wait_status(client, rid, {"IN_PROGRESS", "COMPLETED", "FAILED"}, timeout=120)
    assert running["status"] == "IN_PROGRESS"

    workers = [a for a in ray.util.list_named_actors(all_namespaces=True) if "QueueWorker" in a["name"]]
    assert len(workers) == 1, workers
    ray.kill(ray.get_actor(workers[0]["name"], namespace=workers[0]["namespace"]), no_restart=True)

    final = wait_status(client, rid, timeout=180)
    assert final["status"] == "COMPLETED", final
    r = redis.Redis.from_url(os.environ["AUDIOLASSO_REDIS_URL"], decode_responses=True)
    prefix = os.environ["AUDIOLASSO_REDIS_PREFIX"]
    keys = RedisKeys(prefix)
    assert r.hget(keys.job(rid), "attempts") == "2"  # claimed again after the kill
    statuses = [fields["data"] for _, fields in r.xrange(keys.events(rid))]
    assert sum('"COMPLETED"' in s or '"FAILED"' in s or '"CANCELLED"' in s for s in statuses) == 1
    target = _download(client, client.get(body["result_url"]).json()["target"])
    assert len(target) == len(audio)


def test_batch_size_changes_without_a_restart(client, serve_url):
    import ray
    from ray import serve

    from serve_app.launcher import deploy, load_config

    def replicas() -> list[str]:
        return sorted(
            a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if "Separator-lowpass" in a["name"]
        )

    handle = serve.get_deployment_handle("Separator-lowpass", app_name=APP)
    before = replicas()
    config = _config(int(serve_url.rsplit(":", 1)[1]))
    for deployment in config["applications"][0]["deployments"]:
        if deployment["name"] == "Separator-lowpass":
            deployment["user_config"]["max_batch_size"] = 1
    path = Path(os.environ["AUDIOLASSO_DATA_DIR"]) / "config-batch1.yaml"
    path.write_text(yaml.safe_dump(config))
    deploy(load_config(path))
    deadline = time.monotonic() + 60
    while handle.stats.remote().result()["batch_config"].get("max_batch_size") != 1:
        assert time.monotonic() < deadline, "reconfigure never reached the replica"
        time.sleep(0.2)
    assert replicas() == before  # the same replica actor: reconfigured, not restarted

    seen = handle.stats.remote().result()["batch_sizes"]
    sr = 16000
    file_id = _upload(client, np.zeros(sr * 6, np.float32) + 0.01, sr)
    with ThreadPoolExecutor(3) as pool:
        bodies = list(
            pool.map(lambda _: _submit(client, file_id=file_id, prompt="keep the low end", backend="lowpass"), range(3))
        )
    for body in bodies:
        assert wait_status(client, body["request_id"], timeout=120)["status"] == "COMPLETED"
    after = handle.stats.remote().result()["batch_sizes"]
    new = {size: after[size] - seen.get(size, 0) for size in after if after[size] != seen.get(size, 0)}
    assert new and set(new) == {1}, new


def test_a_backend_that_cannot_load_is_reported_and_its_jobs_fail_typed(client):
    listed = {(b["backend"], b["model_variant"]): b for b in client.get("/v1/backends").json()["backends"]}
    sam = listed[("sam-audio", "small")]
    assert sam["available"] is False and "the sam_audio package is not installed" in sam["error"]
    assert listed[("dsp", "default")]["available"] and listed[("lowpass", "default")]["available"]
    sr = 48000
    file_id = _upload(client, np.zeros(sr, np.float32) + 0.01, sr)
    body = _submit(client, file_id=file_id, prompt="isolate the dog bark", model_variant="small")
    failed = wait_status(client, body["request_id"], timeout=120)
    assert failed["status"] == "FAILED" and failed["error"]["type"] == "backend_unavailable", failed


def test_a_poisoned_chunk_fails_only_its_job_and_out_of_memory_shrinks_only_its_batch(client):
    """Three jobs on the flaky backend at once: their chunks share batches; the one
    whose sound is "poisoned" fails, typed, and the others complete. Batches above
    two chunks run out of memory and are split, without failing anyone."""
    from ray import serve

    sr = 16000
    t = np.arange(sr * 6) / sr
    file_id = _upload(client, (0.5 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), sr)
    prompts = ["keep the low end", "keep the poisoned low end", "keep the bass"]
    with ThreadPoolExecutor(3) as pool:
        bodies = list(pool.map(lambda p: _submit(client, file_id=file_id, prompt=p, backend="flaky"), prompts))
    good, poisoned, other = (wait_status(client, body["request_id"], timeout=120) for body in bodies)
    assert good["status"] == other["status"] == "COMPLETED", (good, other)
    assert poisoned["status"] == "FAILED", poisoned
    error = poisoned["error"]
    assert error["type"] == "separation_failed" and error["retryable"] is False, error
    assert "could not separate a chunk of this job" in error["message"] and "poisoned chunk" in error["message"]
    stats = serve.get_deployment_handle("Separator-flaky", app_name=APP).stats.remote().result()
    assert max(stats["batch_sizes"]) > 2, stats  # batches formed across the jobs
    assert stats["failures"]["oom_splits"] >= 1 and stats["failures"]["failed_items"] >= 1, stats
    assert stats["device_error"] is None


def test_metrics_reach_prometheus_and_the_dashboard_plots_only_exported_series(client):
    from prometheus_client.parser import text_string_to_metric_families

    from serve_app.metrics import SERIES

    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=8)
    file_id = _upload(client, mix, sr)
    request_id = _submit(client, file_id=file_id, prompt="isolate the speaker")["request_id"]
    failing = _submit(client, file_id=file_id, prompt="keep the poisoned low end", backend="flaky")["request_id"]
    hooked = client.post(  # its webhook cannot be delivered: the .invalid domain never resolves
        "/v1/queue/audio/separate",
        json={
            "input": {"file_id": file_id, "prompt": "keep the bass", "backend": "lowpass"},
            "webhookUrl": "https://hooks.audiolasso.invalid/done",
        },
    ).json()["request_id"]
    assert wait_status(client, request_id, timeout=120)["status"] == "COMPLETED"
    assert wait_status(client, failing, timeout=120)["status"] == "FAILED"
    assert wait_status(client, hooked, timeout=120)["status"] == "COMPLETED"
    url = f"http://127.0.0.1:{os.environ['AUDIOLASSO_METRICS_PORT']}/metrics"
    wanted = {f"ray_{name}" for name in SERIES} | {"ray_audiolasso_separator_batch_size"}
    deadline = time.monotonic() + 90  # Ray's agents export every few seconds
    while True:
        families = {f.name: f for f in text_string_to_metric_families(httpx.get(url, timeout=10).text)}
        if wanted <= set(families) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert wanted <= set(families), sorted(n for n in families if "audiolasso" in n or "serve" in n)

    def value(name: str, sample: str, **labels: str) -> float:
        return sum(
            s.value
            for s in families[name].samples
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert value("ray_audiolasso_jobs_finished", "ray_audiolasso_jobs_finished_total", status="COMPLETED") >= 1
    assert value("ray_audiolasso_job_total_seconds", "ray_audiolasso_job_total_seconds_count", status="COMPLETED") >= 1
    assert value("ray_audiolasso_jobs_submitted", "ray_audiolasso_jobs_submitted_total") >= 1
    assert value("ray_audiolasso_upload_bytes", "ray_audiolasso_upload_bytes_total") > 0
    assert (
        value("ray_audiolasso_job_failures", "ray_audiolasso_job_failures_total", error_type="separation_failed") >= 1
    )
    assert value("ray_audiolasso_webhook_deliveries", "ray_audiolasso_webhook_deliveries_total", outcome="retried") >= 1

    dashboard = json.loads((ROOT / "cluster" / "grafana-dashboard.json").read_text())
    plotted = {
        re.sub(r"_(bucket|count|sum|total)$", "", name)
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\bray_[a-z_]+", target["expr"])
    }
    assert plotted and plotted <= set(families), sorted(plotted - set(families))


def test_scaling_down_the_queue_workers_hands_their_jobs_over_at_once(client, serve_url):
    """Two QueueWorkers, both busy with jobs longer than their drain grace; one is removed
    by a redeploy. Its jobs are handed back and claimed by the other at once: every job
    completes with one attempt (a job left to its lease would be claimed a second time)."""
    from serve_app.launcher import deploy, load_config

    def redeploy(replicas: int, name: str) -> None:
        config = _config(int(serve_url.rsplit(":", 1)[1]))
        app = config["applications"][0]
        app["args"]["worker"]["drain_grace_s"] = 0.5
        for deployment in app["deployments"]:
            if deployment["name"] == "QueueWorker":
                deployment.pop("autoscaling_config")
                deployment["num_replicas"] = replicas
        path = Path(os.environ["AUDIOLASSO_DATA_DIR"]) / name
        path.write_text(yaml.safe_dump(config))
        deploy(load_config(path))

    redeploy(2, "config-2-workers.yaml")
    sr = 16000
    file_id = _upload(client, np.zeros(sr * 40, np.float32) + 0.01, sr)  # 20 chunks: seconds per job
    ids = [
        _submit(client, file_id=file_id, prompt="keep the low end", backend="lowpass")["request_id"] for _ in range(6)
    ]
    deadline = time.monotonic() + 60
    while sum(client.get(f"/v1/queue/requests/{i}/status").json()["status"] == "IN_PROGRESS" for i in ids) < 4:
        assert time.monotonic() < deadline, "both workers never got busy"
        time.sleep(0.1)
    redeploy(1, "config-1-worker.yaml")
    r = redis.Redis.from_url(os.environ["AUDIOLASSO_REDIS_URL"], decode_responses=True)
    keys = RedisKeys(os.environ["AUDIOLASSO_REDIS_PREFIX"])
    for request_id in ids:
        assert wait_status(client, request_id, timeout=180)["status"] == "COMPLETED"
        assert r.hget(keys.job(request_id), "attempts") == "1"


def _running_replicas(deployment: str) -> int:
    from ray import serve

    states = serve.status().applications[APP].deployments[deployment].replica_states
    return sum(n for state, n in states.items() if str(getattr(state, "value", state)) == "RUNNING")


def test_replicas_follow_the_backlog_and_a_separator_comes_back_from_zero(client, serve_url):
    """The shipped policies (serve_app/autoscaling.py) with small targets: an idle Separator goes to
    zero; six queued jobs of 40 s each scale the QueueWorkers and that Separator to their maximum
    (the backlog, not the requests in flight, which the worker caps); every job completes; idle
    again, the Separator returns to zero and the QueueWorkers to one."""
    from serve_app.launcher import deploy, load_config

    config = _config(int(serve_url.rsplit(":", 1)[1]))
    fast = {"upscale_delay_s": 0, "downscale_delay_s": 2, "look_back_period_s": 1, "metrics_interval_s": 0.5}
    for deployment in config["applications"][0]["deployments"]:
        if deployment["name"] == "QueueWorker":
            deployment["autoscaling_config"].update(min_replicas=1, max_replicas=2, **fast)
            deployment["autoscaling_config"]["policy"]["policy_kwargs"] = {"jobs_per_replica": 2}
        if deployment["name"] == "Separator-lowpass":
            deployment["autoscaling_config"] = {
                "min_replicas": 0,
                "max_replicas": 2,
                "downscale_to_zero_delay_s": 2,
                **fast,
                "policy": {
                    "policy_function": "serve_app.autoscaling:SeparatorPolicy",
                    "policy_kwargs": {"queued_audio_s_per_replica": 30},
                },
            }
    path = Path(os.environ["AUDIOLASSO_DATA_DIR"]) / "config-autoscaling.yaml"
    path.write_text(yaml.safe_dump(config))
    deploy(load_config(path))

    def until(condition, what, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, what() if callable(what) else what
            time.sleep(0.25)

    until(lambda: _running_replicas("Separator-lowpass") == 0, "the idle Separator never went to zero")
    listed = client.get("/v1/backends").json()["backends"]
    (lowpass,) = [b for b in listed if b["backend"] == "lowpass"]
    assert lowpass["available"] and lowpass["starting"]  # answered at once, not after a cold start

    sr = 16000
    file_id = _upload(client, np.zeros(sr * 40, np.float32) + 0.01, sr)
    ids = [
        _submit(client, file_id=file_id, prompt="keep the low end", backend="lowpass")["request_id"] for _ in range(6)
    ]
    peak = {"QueueWorker": 0, "Separator-lowpass": 0}

    def scaled_up() -> bool:
        for name in peak:
            peak[name] = max(peak[name], _running_replicas(name))
        return peak == {"QueueWorker": 2, "Separator-lowpass": 2}

    until(scaled_up, lambda: f"the backlog never scaled both to 2: peaks {peak}")
    for request_id in ids:
        assert wait_status(client, request_id, timeout=180)["status"] == "COMPLETED"
    until(
        lambda: _running_replicas("Separator-lowpass") == 0 and _running_replicas("QueueWorker") == 1,
        "idle, the Separator never went back to zero or the QueueWorkers to their minimum",
    )
