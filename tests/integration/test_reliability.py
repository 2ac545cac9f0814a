"""Redis trouble answered honestly: a Redis of the test's own is killed, paused and
restarted under a live service. While it is away every route answers 503 with
Retry-After and readiness fails; when it is back the worker resumes by itself and
every job accepted before completes exactly once."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time

import pytest
import redis

from serve_app.jobs.store import Claim, Lease
from support.audio import speech_plus_noise, wav_bytes
from support.redis_server import RedisServer
from support.service import TERMINAL, LiveService, make_settings, wait_status

TIMEOUT_S = 1.0  # the service's Redis command timeout in these tests


@pytest.fixture
def slow_backend():
    from audiolasso_testplugin import LowpassBackend

    backend = LowpassBackend(options={"seconds_per_chunk": 0.4})
    backend.load("cpu")
    return backend


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def service(own_redis, slow_backend, tmp_path):
    settings = make_settings(own_redis.url, tmp_path / "data", redis_timeout_s=TIMEOUT_S, visibility_timeout_s=3.0)
    svc = LiveService(settings, {"lowpass": slow_backend}).start()
    yield svc
    svc.stop()


@pytest.fixture
def client(service):
    with service.client(service.new_key()) as c:
        yield c


def _upload(client) -> str:
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=3)
    response = client.post("/v1/files", files={"file": ("mix.wav", wav_bytes(mix, sr), "audio/wav")})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


def _submit(client, file_id: str) -> str:
    response = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": "keep the bass"}})
    assert response.status_code == 202, response.text
    return response.json()["request_id"]


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["type"] == "service_unavailable"


def _terminal_events(client: redis.Redis, service: LiveService, request_id: str) -> list[str]:
    entries = client.xrange(service.ctx.jobs.keys.events(request_id))
    statuses = [json.loads(fields["data"])["status"] for _, fields in entries]
    return [s for s in statuses if s in TERMINAL]


def test_redis_killed_answers_503_then_every_accepted_job_completes_once(own_redis, service, client):
    file_id = _upload(client)
    accepted = [_submit(client, file_id) for _ in range(4)]
    wait_status(client, accepted[0], until={"IN_PROGRESS"}, timeout=30)

    own_redis.kill()  # jobs queued and one running; the append-only file holds every acknowledged write
    _assert_unavailable(client.get(f"/v1/queue/requests/{accepted[0]}/status"))
    _assert_unavailable(client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": "x"}}))
    _assert_unavailable(client.get("/v1/files"))
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"]
    assert ready.json()["checks"]["redis"].startswith("unavailable")
    assert ready.json()["checks"]["storage"] == "ok"
    assert client.get("/healthz").status_code == 200  # alive: restarting it would not bring Redis back
    time.sleep(2 * TIMEOUT_S)  # the worker loop meets the outage too

    own_redis.start()  # same port, same folder: it reloads its append-only file
    assert client.get("/readyz").json() == {"ready": True, "checks": {"redis": "ok", "storage": "ok"}}
    accepted.append(_submit(client, file_id))  # the worker resumed by itself
    for request_id in accepted:
        assert wait_status(client, request_id, timeout=60)["status"] == "COMPLETED"
        assert _terminal_events(own_redis.client(), service, request_id) == ["COMPLETED"]
        result = client.get(f"/v1/queue/requests/{request_id}/result").json()
        for role in ("target", "residual"):
            assert client.get(f"/v1/files/{result[role]['file_id']}/content").content.startswith(b"RIFF")


def test_redis_hung_answers_503_within_the_timeout_then_recovers(own_redis, service, client):
    file_id = _upload(client)
    request_id = _submit(client, file_id)
    own_redis.pause()  # SIGSTOP: the socket accepts, nothing answers
    try:
        started = time.monotonic()
        _assert_unavailable(client.get(f"/v1/queue/requests/{request_id}/status"))
        assert time.monotonic() - started < 3 * TIMEOUT_S + 1
        assert client.get("/readyz").status_code == 503
        time.sleep(2 * TIMEOUT_S)
    finally:
        own_redis.resume()
    assert client.get(f"/v1/queue/requests/{request_id}/status").status_code == 200
    assert wait_status(client, request_id, timeout=60)["status"] == "COMPLETED"
    assert wait_status(client, _submit(client, file_id), timeout=60)["status"] == "COMPLETED"
    assert _terminal_events(own_redis.client(), service, request_id) == ["COMPLETED"]


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs as the service's data directory: a real disk that fills up."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_full_disk_fails_the_job_retryably_and_never_stores_a_broken_result(redis_url, small_disk, lowpass_backend):
    settings = make_settings(redis_url, small_disk)
    service = LiveService(settings, {"lowpass": lowpass_backend}).start()
    try:
        with service.client(service.new_key()) as client:
            file_id = _upload(client)
            filler = small_disk / "filler"
            free = shutil.disk_usage(small_disk).free
            filler.write_bytes(b"\0" * (free - 200_000))  # room for less than one result track
            request_id = _submit(client, file_id)
            failed = wait_status(client, request_id)
            assert failed["status"] == "FAILED"
            assert failed["error"]["type"] == "storage_full" and failed["error"]["retryable"] is True
            assert [f["purpose"] for f in client.get("/v1/files").json()["data"]] == ["upload"]
            assert sorted(p.name for p in (small_disk / "files").iterdir()) == [file_id]
            assert list((small_disk / "tmp").iterdir()) == []  # no half-written track left behind
            refused = client.post("/v1/files", files={"file": ("b.wav", b"RIFF" + b"\0" * 400_000, "audio/wav")})
            assert refused.status_code == 503 and refused.json()["error"]["type"] == "storage_full"

            filler.unlink()  # the operator frees space: the same request now succeeds
            retried = wait_status(client, _submit(client, file_id))
            assert retried["status"] == "COMPLETED", retried
    finally:
        service.stop()


@pytest.mark.parametrize("max_concurrent_jobs", [4, 1])
def test_a_stopping_worker_hands_its_jobs_back_at_once(redis_url, tmp_path, slow_backend, max_concurrent_jobs):
    """A planned stop (what QueueWorker.__del__ does on a scale-down): the jobs it cannot
    finish in its grace period are claimed by another worker at once, well before the
    visibility timeout, and the stop does not count as an attempt. With one job at a time
    the second waits in the queue when the stop comes: the stopping worker, whose slot
    the handed-back job frees, must not claim it (or the first again)."""
    settings = make_settings(redis_url, tmp_path, visibility_timeout_s=60.0)
    options = {"max_concurrent_jobs": max_concurrent_jobs}
    service = LiveService(settings, {"lowpass": slow_backend}, worker_options=options).start()
    client = service.client(service.new_key())
    file_id = _upload(client)
    ids = [_submit(client, file_id) for _ in range(2)]
    wait_status(client, ids[0], until={"IN_PROGRESS"}, timeout=30)
    handed_back = service.call(service.worker.drain(grace_s=0.1))
    assert ids[0] in handed_back
    time.sleep(0.5)  # a slot freed by the hand-back: the stopped worker must leave it empty
    assert not service.worker.running
    stopped_at = time.monotonic()
    successor = service.ctx.job_worker(service.worker.separators, service.worker.planner)
    running = asyncio.run_coroutine_threadsafe(successor.run(), service.loop)
    try:
        for request_id in ids:
            assert wait_status(client, request_id, timeout=30)["status"] == "COMPLETED"
        assert time.monotonic() - stopped_at < service.settings.visibility_timeout_s
        assert [service.call(service.ctx.jobs.get(i)).attempts for i in ids] == [1, 1]
    finally:
        successor.stop()
        running.result(30)
        client.close()
        service.stop()


def test_a_progress_report_that_reads_the_lease_as_lost_lets_the_job_go_without_ending_it(
    redis_url, tmp_path, slow_backend, monkeypatch
):
    """After a Redis failover a progress report can read as lost a lease the job still holds
    (the new master had not caught up). The worker must let the job go, as when a heartbeat
    finds the lease lost, not end it CANCELLED when nobody asked: the lease runs out and the
    job runs again, to one COMPLETED. (The stale read is simulated, one report answering
    LOST; Redis, the worker, the backend and HTTP are real.)"""
    settings = make_settings(redis_url, tmp_path, visibility_timeout_s=3.0)
    service = LiveService(settings, {"lowpass": slow_backend}).start()
    jobs = service.worker.jobs
    report = jobs.progress
    misread: list[str] = []

    async def progress(claim: Claim, done: int, total: int) -> Lease:
        if not misread:
            misread.append(claim.request_id)
            return Lease.LOST
        return await report(claim, done, total)

    monkeypatch.setattr(jobs, "progress", progress)
    client = service.client(service.new_key())
    try:
        request_id = _submit(client, _upload(client))
        assert wait_status(client, request_id, timeout=60)["status"] == "COMPLETED"
        assert misread == [request_id]
        events = _terminal_events(redis.Redis.from_url(redis_url, decode_responses=True), service, request_id)
        assert events == ["COMPLETED"]
        assert service.call(service.ctx.jobs.get(request_id)).attempts == 2
    finally:
        client.close()
        service.stop()
