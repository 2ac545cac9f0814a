"""The HAProxy front door (AUDIOLASSO_HAPROXY=true): Ray Serve's HAProxy mode with direct
ingress, deployed through the launcher as `audiolasso serve --haproxy` does, on a local Ray.
Everything a client does works through it: upload, submit, the status stream as it happens,
the result downloads, readiness and the playground. (bench/README.md measures its throughput.)"""

from __future__ import annotations

import io
import os
import shutil
import uuid

import httpx
import numpy as np
import psutil
import pytest
import soundfile as sf
import yaml

from bench.common import create_key, free_port, service_config
from support.audio import speech_plus_noise
from support.sse_client import read_events

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
if HAPROXY is None and os.environ.get("CI"):
    raise RuntimeError("CI needs the haproxy program for this test; .ci/run installs it")
pytestmark = pytest.mark.skipif(HAPROXY is None, reason="needs haproxy (Debian: apt-get install haproxy)")


@pytest.fixture(scope="module")
def front_door(redis_url, tmp_path_factory):
    import ray
    from ray import serve

    from serve_app.launcher import deploy, load_config

    work = tmp_path_factory.mktemp("haproxy")
    saved = dict(os.environ)
    os.environ.update(
        {
            "AUDIOLASSO_REDIS_URL": redis_url,
            "AUDIOLASSO_REDIS_PREFIX": f"haproxy-{uuid.uuid4().hex[:10]}",
            "AUDIOLASSO_DATA_DIR": str(work / "data"),
            "AUDIOLASSO_HAPROXY": "true",
        }
    )
    port = free_port()
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump(service_config(port, backend="dsp")))
    try:
        deploy(load_config(config), num_cpus=4)
        yield f"http://127.0.0.1:{port}"
    finally:
        serve.shutdown()
        ray.shutdown()
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def client(front_door):
    key = create_key(os.environ["AUDIOLASSO_REDIS_URL"], os.environ["AUDIOLASSO_REDIS_PREFIX"], "haproxy")
    with httpx.Client(base_url=front_door, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
        yield c


def test_haproxy_answers_on_the_http_port(front_door):
    names = {p.name() for p in psutil.Process().children(recursive=True)}
    assert "haproxy" in names
    with httpx.Client(base_url=front_door) as anonymous:
        assert anonymous.get("/readyz").json()["ready"] is True
        assert anonymous.get("/", follow_redirects=True).status_code == 200  # the playground
        assert anonymous.get("/v1/files").status_code == 401


def test_the_ingress_replica_runs_with_the_throughput_settings(front_door):
    # What bench/README.md 1 measured the front door with: the Ingress's code on its replica's
    # own event loop, request-path logs buffered (serve_app.launcher.haproxy_environment).
    replicas = [
        p
        for p in psutil.Process().children(recursive=True)
        if "ServeReplica" in " ".join(p.cmdline()) and "Ingress" in " ".join(p.cmdline())
    ]
    assert replicas, "no Ingress replica process found"
    env = replicas[0].environ()
    assert env.get("RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD") == "0"
    assert env.get("RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP") == "0"
    assert env.get("RAY_SERVE_REQUEST_PATH_LOG_BUFFER_SIZE") == "1000"


def test_a_job_streams_and_downloads_through_haproxy(client):
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=11)
    buf = io.BytesIO()
    sf.write(buf, mix, sr, format="WAV", subtype="FLOAT")
    file_id = client.post("/v1/files", files={"file": ("mix.wav", buf.getvalue())}).json()["file_id"]
    body = {"input": {"file_id": file_id, "prompt": "remove the noise and keep the speaker"}}
    submitted = client.post("/v1/queue/audio/separate", json=body)
    assert submitted.status_code == 202, submitted.text
    statuses = []
    with client.stream("GET", submitted.json()["stream_url"]) as stream:
        for event in read_events(stream.iter_lines()):
            if event.data:
                statuses.append(event.data["status"])
    assert statuses[-1] == "COMPLETED" and "IN_PROGRESS" in statuses
    result = client.get(submitted.json()["result_url"]).json()
    target = sf.read(io.BytesIO(client.get(result["target"]["url"]).content), dtype="float32")[0]
    residual = sf.read(io.BytesIO(client.get(result["residual"]["url"]).content), dtype="float32")[0]
    np.testing.assert_allclose(target + residual, mix, atol=1e-6)
