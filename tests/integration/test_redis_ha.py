"""The service on a replicated Redis, with real redis-server processes started here:
a Redis Cluster of three masters (every key of a deployment in one slot, so each
Lua script runs on one node) and a master + replica watched by Sentinel, failed
over while jobs are submitted and running."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from support.audio import speech_plus_noise, wav_bytes
from support.redis_server import RedisClusterProcesses, SentinelSetup
from support.service import TERMINAL, LiveService, make_settings, wait_status
from support.sse_client import read_events


@pytest.fixture(scope="module")
def backend():
    from audiolasso_testplugin import LowpassBackend

    backend = LowpassBackend(options={"seconds_per_chunk": 0.2})
    backend.load("cpu")
    return backend


@pytest.fixture(scope="module")
def audio() -> bytes:
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=4)
    return wav_bytes(mix, sr)


def _submit(client: httpx.Client, file_id: str) -> httpx.Response:
    return client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": "keep the bass"}})


def _terminal_statuses(redis_client, service: LiveService, request_id: str) -> list[str]:
    entries = redis_client.xrange(service.ctx.jobs.keys.events(request_id))
    return [s for s in (json.loads(f["data"])["status"] for _, f in entries) if s in TERMINAL]


def test_the_api_runs_on_redis_cluster_with_every_key_in_one_slot(tmp_path, backend, audio):
    cluster = RedisClusterProcesses(tmp_path / "cluster").start()
    service = LiveService(make_settings(cluster.url, tmp_path / "data"), {"lowpass": backend}).start()
    try:
        with service.client(service.new_key()) as client:
            file_id = client.post("/v1/files", files={"file": ("a.wav", audio, "audio/wav")}).json()["file_id"]
            ids = [_submit(client, file_id).json()["request_id"] for _ in range(3)]
            assert client.put(f"/v1/queue/requests/{ids[-1]}/cancel").json()["status"] in ("CANCELLED", "IN_PROGRESS")
            with client.stream("GET", f"/v1/queue/requests/{ids[0]}/status/stream") as stream:
                events = [e.data for e in read_events(stream.iter_lines()) if e.data]
            assert events[-1]["status"] == "COMPLETED"
            assert wait_status(client, ids[1])["status"] == "COMPLETED"
            listed = client.get("/v1/queue/requests").json()["data"]
            assert {item["request_id"] for item in listed} == set(ids)
            result = client.get(f"/v1/queue/requests/{ids[0]}/result").json()
            assert client.get(f"/v1/files/{result['target']['file_id']}/content").content.startswith(b"RIFF")
            assert client.delete(f"/v1/queue/requests/{ids[0]}").status_code == 204
        # Every key of this deployment sits on the one node that serves its hash tag.
        keys = service.ctx.jobs.keys
        holding = [i for i, node in enumerate(cluster.nodes) if list(node.client().scan_iter(match=keys.pattern))]
        assert holding == [cluster.node_of(keys.queue)]
    finally:
        service.stop()
        cluster.stop()


def test_sentinel_failover_under_load_loses_no_job_and_runs_none_twice(tmp_path, backend, audio):
    setup = SentinelSetup(tmp_path / "sentinel").start()
    settings = make_settings(
        setup.url, tmp_path / "data", redis_timeout_s=1.0, visibility_timeout_s=4.0, redis_replica_acks=1
    )
    service = LiveService(settings, {"lowpass": backend}).start()
    accepted: list[str] = []
    stop = threading.Event()
    try:
        with service.client(service.new_key()) as client:
            file_id = client.post("/v1/files", files={"file": ("a.wav", audio, "audio/wav")}).json()["file_id"]

            def submit_steadily() -> None:
                while not stop.is_set():
                    response = _submit(client, file_id)
                    if response.status_code == 202:
                        accepted.append(response.json()["request_id"])
                    else:  # during the failover: refused honestly, to be retried
                        assert response.status_code == 503, response.text
                        assert response.headers["Retry-After"]
                    time.sleep(0.3)

            submitter = threading.Thread(target=submit_steadily)
            submitter.start()
            while len(accepted) < 4:
                time.sleep(0.1)
            first_master = setup.master_port()
            setup.master.kill()  # the master dies with jobs queued and running
            deadline = time.monotonic() + 30
            while setup.master_port() == first_master:
                assert time.monotonic() < deadline, "Sentinel did not fail over"
                time.sleep(0.2)
            setup.master.start()  # back as a replica of the new master
            count = len(accepted)
            while len(accepted) < count + 3:  # submits succeed again, on the new master
                time.sleep(0.1)
            stop.set()
            submitter.join()

            new_master = setup.replica.client()
            for request_id in accepted:
                assert wait_status(client, request_id, timeout=90)["status"] == "COMPLETED"
                assert _terminal_statuses(new_master, service, request_id) == ["COMPLETED"]
    finally:
        stop.set()
        service.stop()
        setup.stop()
