"""Hostile audio: every malformed file is refused at upload with a typed 4xx,
and fails its job with a typed error when fetched from a URL — while the
worker goes on to finish the next good job. Plus property-based fuzzing of
the decoder with mutated real files."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serve_app.audio.decode import decode
from serve_app.config import AudioLimits
from serve_app.errors import AudioError
from support.hostile_audio import CORPUS, valid_flac, valid_wav
from support.service import wait_status

LIMITS = dict(max_duration_s=60)


@pytest.fixture(scope="module")
def service(live_service, dsp_backend):
    svc = live_service({"dsp": dsp_backend}, allow_private_urls=True, allow_http_urls=True, **LIMITS)
    with svc.client(svc.new_key()) as client:
        yield client


@pytest.fixture(scope="module")
def file_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    for name, (payload, _) in CORPUS.items():
        (root / f"{name}.wav").write_bytes(payload)
    (root / "good.wav").write_bytes(valid_wav())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.mark.parametrize("name", list(CORPUS))
def test_upload_is_refused_with_a_typed_4xx(service, name):
    payload, error_type = CORPUS[name]
    response = service.post("/v1/files", files={"file": (f"{name}.wav", payload)})
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["type"] == error_type and error["field"] == "file"
    assert "/" not in error["message"].split("Accepted formats")[0]  # no server paths leak


def test_fetched_hostile_audio_fails_typed_and_the_worker_survives(service, file_server):
    jobs = {}
    for name in CORPUS:
        response = service.post(
            "/v1/queue/audio/separate",
            json={"input": {"audio_url": f"{file_server}/{name}.wav", "prompt": "the speaker"}},
        )
        assert response.status_code == 202
        jobs[name] = response.json()["request_id"]
    good = service.post(
        "/v1/queue/audio/separate", json={"input": {"audio_url": f"{file_server}/good.wav", "prompt": "the speaker"}}
    ).json()["request_id"]
    for name, request_id in jobs.items():
        final = wait_status(service, request_id)
        assert final["status"] == "FAILED", (name, final)
        assert final["error"]["type"] == CORPUS[name][1], (name, final["error"])
        assert final["error"]["retryable"] is False
    assert wait_status(service, good)["status"] == "COMPLETED"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    base=st.sampled_from(["wav", "flac"]),
    edits=st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=12),
    cut=st.one_of(st.none(), st.integers(0, 4096)),
)
def test_decoder_survives_mutated_files(tmp_path_factory, base, edits, cut):
    """Whatever the bytes, decode returns finite audio within the limits or raises AudioError."""
    data = bytearray(valid_wav() if base == "wav" else valid_flac())
    for offset, value in edits:
        if offset < len(data):
            data[offset] = value
    if cut is not None:
        data = data[:cut]
    path = tmp_path_factory.mktemp("fuzz") / f"x.{base}"
    path.write_bytes(bytes(data))
    limits = AudioLimits(max_duration_s=60, max_channels=8)
    try:
        audio, sr = decode(path, limits)
    except AudioError as exc:
        assert exc.type and exc.message
        return
    assert audio.dtype == np.float32 and np.isfinite(audio).all()
    assert 1 <= audio.shape[0] <= 8 and audio.shape[1] / sr <= 60
