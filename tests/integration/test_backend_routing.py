"""Choosing a Separator (backend + model_variant), backends that failed to
load, GET /v1/backends and visual-prompt gating, over real HTTP with a real
worker. SAM Audio runs as ``sam_fake`` (a stand-in with the real call
signatures; the real package and weights cannot exist here), once per variant;
the failed variant is a real Separator replica object whose weights are missing.
"""

from __future__ import annotations

import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf
import torch

from audiolasso_sam import video
from audiolasso_sam.backend import SAMAudioBackend
from serve_app.deployments.separator import Separator
from serve_app.errors import ServiceError
from serve_app.jobs.separator_client import HandleSeparator
from serve_app.routing import backend_key, resolve_backend, split_key
from support import sam_fake
from support.service import InProcessHandle, LiveService, make_settings, wait_status

SR = 48_000
DEPLOYED = ["dsp", "sam-audio:small", "sam-audio:large"]


@pytest.mark.parametrize(
    "backend, variant, key",
    [
        (None, None, "dsp"),
        ("sam-audio", None, "sam-audio:small"),
        (None, "large", "sam-audio:large"),
        ("sam-audio", "large", "sam-audio:large"),
        ("dsp", None, "dsp"),
        (None, "default", "dsp"),
    ],
)
def test_backend_and_variant_resolve_to_a_deployed_key(backend, variant, key):
    assert resolve_backend(DEPLOYED, backend, variant) == key
    assert backend_key(*split_key(key)) == key


@pytest.mark.parametrize(
    "backend, variant, type_, field, listed",
    [
        ("sam-audio", "huge", "unknown_model_variant", "input.model_variant", "['small', 'large']"),
        ("dsp", "large", "unknown_model_variant", "input.model_variant", "['default']"),
        (None, "huge", "unknown_model_variant", "input.model_variant", "dsp default, sam-audio small, sam-audio large"),
        ("nope", None, "unknown_backend", "input.backend", "['dsp', 'sam-audio']"),
    ],
)
def test_undeployed_choices_are_422s_listing_what_is_deployed(backend, variant, type_, field, listed):
    with pytest.raises(ServiceError) as error:
        resolve_backend(DEPLOYED, backend, variant)
    assert (error.value.status_code, error.value.type, error.value.field) == (422, type_, field)
    assert listed in error.value.message


def fake_sam(mp: pytest.MonkeyPatch, weights, variant: str, **options) -> tuple[SAMAudioBackend, sam_fake.Calls]:
    calls = sam_fake.install(mp, weights)
    paths = {"model_path": str(weights), "text_encoder_path": str(calls.text_encoder_path)}
    backend = SAMAudioBackend(variant, {**paths, "chunk_seconds": 4.0, **options})
    backend.load("cpu")
    return backend, calls


@pytest.fixture(scope="module")
def service(live_service, tmp_path_factory, dsp_backend):
    weights = tmp_path_factory.mktemp("weights")
    with pytest.MonkeyPatch.context() as mp:
        small, small_calls = fake_sam(mp, weights / "small", "small")
        large, large_calls = fake_sam(mp, weights / "large", "large")
        broken = Separator.func_or_class("sam-audio", "base", {"model_path": str(weights / "none")}, "cpu")
    svc = live_service(
        {
            "dsp": dsp_backend,
            "sam-audio:small": small,
            "sam-audio:large": large,
            "sam-audio:base": HandleSeparator(InProcessHandle(broken)),
        },
        allow_private_urls=True,
        allow_http_urls=True,
    )
    svc.calls = {"small": small_calls, "large": large_calls}
    return svc


def upload(client) -> str:
    buf = io.BytesIO()
    sf.write(
        buf,
        np.random.default_rng(0).standard_normal(int(1.5 * SR)).astype(np.float32) * 0.1,
        SR,
        format="WAV",
        subtype="FLOAT",
    )
    response = client.post("/v1/files", files={"file": ("mix.wav", buf.getvalue())})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


@pytest.fixture(scope="module")
def file_id(client) -> str:
    return upload(client)


def submit(client, **fields):
    return client.post("/v1/queue/audio/separate", json={"input": {"prompt": "isolate the speech", **fields}})


def test_model_variant_routes_to_that_variants_separator(service, client, file_id):
    before = {v: len(c.separate) for v, c in service.calls.items()}
    response = submit(client, file_id=file_id, model_variant="large")
    assert response.status_code == 202 and response.json()["model"] == "audio/separate"
    assert wait_status(client, response.json()["request_id"])["status"] == "COMPLETED"
    result = client.get(response.json()["result_url"]).json()
    assert result["backend"] == "sam-audio:large"
    assert len(service.calls["large"].separate) > before["large"]
    assert len(service.calls["small"].separate) == before["small"]

    default_variant = submit(client, file_id=file_id, backend="sam-audio").json()
    assert wait_status(client, default_variant["request_id"])["status"] == "COMPLETED"
    assert client.get(default_variant["result_url"]).json()["backend"] == "sam-audio:small"


def test_an_undeployed_variant_is_a_422_listing_the_deployed_ones(client, file_id):
    response = submit(client, file_id=file_id, backend="sam-audio", model_variant="large-tv")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "unknown_model_variant" and error["field"] == "input.model_variant"
    assert "['small', 'large', 'base']" in error["message"]


def test_jobs_for_a_backend_that_failed_to_load_fail_typed_while_others_serve(client, file_id):
    broken = submit(client, file_id=file_id, backend="sam-audio", model_variant="base").json()
    failed = wait_status(client, broken["request_id"])
    assert failed["status"] == "FAILED"
    assert failed["error"]["type"] == "backend_unavailable" and failed["error"]["retryable"] is True
    assert "sam-audio:base failed to load: no SAM Audio weights" in failed["error"]["message"]
    assert "Other backends keep serving." in failed["error"]["message"]
    result = client.get(broken["result_url"])  # the status object, never a half result
    assert result.status_code == 409 and result.json()["error"]["type"] == "backend_unavailable"
    working = submit(client, file_id=file_id, prompt="keep the speaker").json()
    assert wait_status(client, working["request_id"])["status"] == "COMPLETED"


def test_backends_lists_every_deployed_variant_with_its_availability(service, client):
    assert service.client().get("/v1/backends").status_code == 401
    body = client.get("/v1/backends").json()
    rows = {(b["backend"], b["model_variant"]): b for b in body["backends"]}
    assert list(rows) == [("dsp", "default"), ("sam-audio", "small"), ("sam-audio", "large"), ("sam-audio", "base")]
    assert [b["default"] for b in body["backends"]] == [True, False, False, False]
    assert [b["available"] for b in body["backends"]] == [True, True, True, False]
    assert "no SAM Audio weights" in rows[("sam-audio", "base")]["error"]
    assert rows[("sam-audio", "large")]["chunk_seconds"] == 4.0  # the deployment's window, not the class's
    assert rows[("sam-audio", "large")]["capabilities"]["spans"] is True
    assert body["visual_prompting"] is False


def test_visual_inputs_are_refused_while_no_backend_is_visual(client, file_id):
    both = {"video_url": "https://a.example/v.mp4", "mask_url": "https://a.example/m.mp4"}
    response = submit(client, file_id=file_id, backend="sam-audio", **both)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "visual_prompting_disabled" and error["field"] == "input.video_url"
    assert "not enabled" in error["message"]
    lone = submit(client, file_id=file_id, video_url=both["video_url"])
    assert lone.status_code == 422 and "video_url and mask_url together" in lone.json()["error"]["message"]


def test_openapi_documents_the_new_inputs(client):
    spec = client.get("/openapi.json").json()
    inp = spec["components"]["schemas"]["SeparateInput"]["properties"]
    assert "not deployed gets a 422" in inp["model_variant"]["description"]
    assert "OFF unless the operator deploys a backend with the visual capability" in inp["video_url"]["description"]
    assert inp["mask_url"]["description"]
    assert "/v1/backends" in spec["paths"]


@pytest.fixture(scope="module")
def visual_service(redis_url, tmp_path_factory, dsp_backend):
    """sam-audio large-tv with visual prompting switched on, beside dsp."""
    with pytest.MonkeyPatch.context() as mp:
        # torchcodec (installed with sam_audio) stand-ins: a 25 fps video whose frames hold their index.
        mp.setattr(video, "probe", lambda path: video.VideoInfo(width=64, height=48, fps=25.0, duration_s=10.0))

        def decode_frames(path, times, info, size):
            if path.read_bytes() != b"VIDEO":
                return torch.zeros((len(times), 3, size, size), dtype=torch.uint8)
            index = torch.tensor([round(t * 25) for t in times], dtype=torch.uint8)
            return index.view(-1, 1, 1, 1).expand(-1, 3, size, size).clone()

        mp.setattr(video, "decode_frames", decode_frames)
        tv, calls = fake_sam(
            mp,
            tmp_path_factory.mktemp("weights") / "large-tv",
            "large-tv",
            visual=True,
            chunk_seconds=1.0,
            overlap_seconds=0.25,
        )
        settings = make_settings(
            redis_url, tmp_path_factory.mktemp("data"), allow_private_urls=True, allow_http_urls=True
        )
        svc = LiveService(settings, {"dsp": dsp_backend, "sam-audio:large-tv": tv}).start()
        svc.calls = calls
        yield svc
        svc.stop()


def test_a_visual_backend_receives_the_fetched_video_cut_to_each_chunk(visual_service, tmp_path):
    (tmp_path / "v.mp4").write_bytes(b"VIDEO")
    (tmp_path / "m.mp4").write_bytes(b"MASK")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    try:
        with visual_service.client(visual_service.new_key()) as c:
            assert c.get("/v1/backends").json()["visual_prompting"] is True
            fid = upload(c)
            urls = {"video_url": f"{base}/v.mp4", "mask_url": f"{base}/m.mp4"}
            refused = submit(c, file_id=fid, **urls)  # the default backend, dsp, is not visual
            assert refused.status_code == 422 and refused.json()["error"]["type"] == "visual_prompting_unsupported"
            assert "backend sam-audio model_variant large-tv" in refused.json()["error"]["message"]
            body = submit(c, file_id=fid, model_variant="large-tv", **urls).json()
            assert wait_status(c, body["request_id"])["status"] == "COMPLETED"
            missing = submit(
                c, file_id=fid, model_variant="large-tv", video_url=f"{base}/none.mp4", mask_url=urls["mask_url"]
            ).json()
            failed = wait_status(c, missing["request_id"])
    finally:
        httpd.shutdown()
    # 1.5 s in 1 s windows overlapping 0.25 s: windows at 0 and 0.75 s; the frames shown at 0 s and 0.75 s
    # (25 fps: frames 0 and 19), one per codec frame of each window (25 and 19 of them).
    shown = sorted(
        (int(call["masked_videos"][0][0, 0, 0, 0]), len(call["masked_videos"][0]))
        for call in visual_service.calls.processor
    )
    assert shown == [(0, 25), (19, 19)]
    assert failed["status"] == "FAILED" and failed["error"]["field"] == "input.video_url"
    assert "Fetching video_url answered HTTP 404" in failed["error"]["message"]
