"""The queue and files API over real HTTP, with a real Redis and a real worker
running the in-tree DSP backend (no Ray here; see test_serve_e2e.py)."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from serve_app.audio.metrics import si_sdr
from support.audio import speech_plus_noise, wav_bytes
from support.service import LiveService, make_settings, wait_status

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TYPEID = r"[0-7][0-9a-hjkmnp-tv-z]{25}"


@pytest.fixture(scope="module")
def service(live_service, dsp_backend):
    from audiolasso_testplugin import LowpassBackend

    slow = LowpassBackend(options={"seconds_per_chunk": 0.3})
    slow.load("cpu")
    return live_service(
        {"dsp": dsp_backend, "lowpass": slow},
        allow_private_urls=True,
        allow_http_urls=True,
        max_upload_bytes=4_000_000,
        max_duration_s=30,
    )


@pytest.fixture(scope="module")
def key(service) -> str:
    return service.new_key()


@pytest.fixture(scope="module")
def client(service, key):
    with service.client(key) as c:
        yield c


@pytest.fixture(scope="module")
def mixture():
    mix, clean, sr = speech_plus_noise(snr_db=0.0, seed=1)
    return mix, clean, sr


@pytest.fixture(scope="module")
def uploaded(client, mixture) -> dict:
    mix, _, sr = mixture
    response = client.post("/v1/files", files={"file": ("mix.wav", wav_bytes(mix, sr, "FLOAT"), "audio/wav")})
    assert response.status_code == 201, response.text
    return response.json()


def submit(client, **input_fields) -> dict:
    response = client.post("/v1/queue/audio/separate", json={"input": input_fields})
    assert response.status_code == 202, response.text
    return response.json()


# --- files ----------------------------------------------------------------------------------


def test_upload_is_decoded_and_described(uploaded, mixture, service):
    mix, _, sr = mixture
    assert re.fullmatch(f"file_{TYPEID}", uploaded["file_id"])
    assert uploaded["sample_rate"] == sr and uploaded["channels"] == 1
    assert uploaded["duration"] == pytest.approx(len(mix) / sr, abs=1e-3)
    assert uploaded["content_type"] == "audio/wav" and uploaded["file_name"] == "mix.wav"
    assert uploaded["url"] == f"{service.url}/v1/files/{uploaded['file_id']}/content"


def test_file_metadata_content_and_delete(client, mixture):
    mix, _, sr = mixture
    data = wav_bytes(mix[:sr], sr)
    file_id = client.post("/v1/files", files={"file": ("../../etc/x.wav", data)}).json()["file_id"]
    meta = client.get(f"/v1/files/{file_id}").json()
    assert meta["file_name"] == "x.wav" and meta["purpose"] == "upload"
    content = client.get(f"/v1/files/{file_id}/content")
    assert content.status_code == 200 and content.content == data
    assert content.headers["content-type"] == "audio/wav"
    assert client.delete(f"/v1/files/{file_id}").status_code == 204
    assert client.get(f"/v1/files/{file_id}").status_code == 404
    assert client.get(f"/v1/files/{file_id}/content").status_code == 404


@pytest.mark.parametrize(
    "payload, status, error_type",
    [
        (b"", 422, "empty_audio"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt garbage that is not audio", 422, "unsupported_audio"),
        (b"\x00" * 5_000_000, 413, "payload_too_large"),
    ],
    ids=["empty", "undecodable", "oversize"],
)
def test_bad_uploads_are_refused_with_a_reason(client, payload, status, error_type):
    response = client.post("/v1/files", files={"file": ("bad.wav", payload)})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == error_type and error["field"] == "file" and len(error["message"]) > 10


def test_overlong_upload_is_refused(client):
    sr = 8000
    response = client.post("/v1/files", files={"file": ("long.flac", _flac(np.zeros(sr * 31, np.float32), sr))})
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "audio_too_long"


def _flac(audio, sr) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format="FLAC")
    return buf.getvalue()


# --- submit, status, result ---------------------------------------------------------------


def test_submit_response_matches_the_api_page(client, uploaded, service):
    body = submit(client, file_id=uploaded["file_id"], prompt="isolate the speaker")
    page = {"request_id", "status", "model", "created_at", "status_url", "stream_url", "result_url"}
    assert set(body) == page | {"interpretation"}  # the page's fields, and (additive) how the prompt was read
    rid = body["request_id"]
    assert re.fullmatch(f"req_{TYPEID}", rid)
    assert body["status"] == "IN_QUEUE" and body["model"] == "audio/separate"
    assert ISO_MS_Z.match(body["created_at"])
    root = f"{service.url}/v1/queue/requests/{rid}"
    assert (body["status_url"], body["stream_url"], body["result_url"]) == (
        f"{root}/status",
        f"{root}/status/stream",
        f"{root}/result",
    )


def test_speech_job_end_to_end(client, uploaded, mixture):
    mix, clean, sr = mixture
    body = submit(client, file_id=uploaded["file_id"], prompt="remove the noise and keep the speaker")
    final = wait_status(client, body["request_id"])
    assert final["status"] == "COMPLETED", final
    result = client.get(body["result_url"])
    assert result.status_code == 200
    res = result.json()
    assert res["duration"] == pytest.approx(len(mix) / sr, abs=1e-3) and res["sample_rate"] == sr
    assert res["interpretation"]["concept"] == "speech"
    assert set(res["timings"]) >= {"queue_s", "fetch_s", "decode_s", "separate_s", "encode_s", "total_s"}
    tracks = {}
    for role in ("target", "residual"):
        obj = res[role]
        assert obj["content_type"] == "audio/wav" and obj["channels"] == 1 and obj["sample_rate"] == sr
        audio, file_sr = sf.read(io.BytesIO(client.get(obj["url"]).content), dtype="float32")
        assert file_sr == sr and len(audio) == len(mix)
        tracks[role] = audio
    np.testing.assert_allclose(tracks["target"] + tracks["residual"], mix, atol=1e-6)
    assert si_sdr(tracks["target"], clean) - si_sdr(mix, clean) >= 3.0


def test_audio_url_job_through_a_local_http_server(client, mixture, tmp_path):
    mix, _, sr = mixture
    (tmp_path / "session.wav").write_bytes(wav_bytes(mix, sr))
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/session.wav"
        body = submit(client, audio_url=url, prompt="the speaker", spans=[{"start": 0.5, "end": 2.0}])
        assert wait_status(client, body["request_id"])["status"] == "COMPLETED"
        missing = submit(client, audio_url=url.replace("session", "nothing"), prompt="the speaker")
        failed = wait_status(client, missing["request_id"])
        assert failed["status"] == "FAILED"
        assert failed["error"]["type"] == "fetch_failed" and "404" in failed["error"]["message"]
        assert failed["error"]["retryable"] is False
    finally:
        httpd.shutdown()


def test_seed_page_curl_example_works_verbatim(service, key):
    """The API page's curl command, pointed at this server with a dev key."""
    command = f"""curl -X POST {service.url}/v1/queue/audio/separate \\
-H "Authorization: Bearer $AUDIOLASSO_API_KEY" \\
-H "Content-Type: application/json" \\
-d '{{
"input": {{
"audio_url": "https://example.com/session.wav",
"prompt": "separate the piano from the background music"
}}
}}'"""
    out = subprocess.run(
        ["bash", "-c", command + " -s -w '\\n%{http_code}'"],
        capture_output=True,
        text=True,
        env={"AUDIOLASSO_API_KEY": key, "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    body, code = out.rsplit("\n", 1)
    assert code == "202", body
    assert '"status":"IN_QUEUE"' in body and '"model":"audio/separate"' in body


def test_unsupported_prompt_is_refused_at_submit_with_what_the_backend_can_do(client, uploaded):
    response = client.post(
        "/v1/queue/audio/separate", json={"input": {"file_id": uploaded["file_id"], "prompt": "isolate the theremin"}}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "unsupported_prompt" and error["field"] == "input.prompt"
    assert "speech" in error["message"] and "drums" in error["message"] and "span hints" in error["message"]


def test_plugin_backend_selected_per_request(client, uploaded):
    body = submit(client, file_id=uploaded["file_id"], prompt="keep the low end", backend="lowpass")
    assert wait_status(client, body["request_id"])["status"] == "COMPLETED"
    assert client.get(body["result_url"]).json()["backend"] == "lowpass"


# --- queue behaviour ------------------------------------------------------------------------


def test_cancel_running_job_stops_at_next_chunk(client, uploaded):
    body = submit(client, file_id=uploaded["file_id"], prompt="the low end", backend="lowpass")
    rid = body["request_id"]
    assert wait_status(client, rid, {"IN_PROGRESS"}, timeout=20)["status"] == "IN_PROGRESS"
    response = client.put(f"/v1/queue/requests/{rid}/cancel")
    assert response.status_code == 202 and response.json() == {
        "request_id": rid,
        "status": "IN_PROGRESS",
        "cancel_requested": True,
    }
    assert client.get(f"/v1/queue/requests/{rid}/status").json().get("cancel_requested") in (True, None)
    final = wait_status(client, rid)
    assert final["status"] == "CANCELLED"
    assert final.get("progress") is None
    assert client.get(body["result_url"]).status_code == 409
    # Cancelling again answers as a cancelled job does.
    again = client.put(f"/v1/queue/requests/{rid}/cancel")
    assert again.status_code == 200 and again.json() == {
        "request_id": rid,
        "status": "CANCELLED",
        "cancel_requested": True,
    }


def test_cancelling_a_finished_job_is_a_conflict(client, uploaded):
    body = submit(client, file_id=uploaded["file_id"], prompt="the low end", backend="lowpass")
    assert wait_status(client, body["request_id"])["status"] == "COMPLETED"
    response = client.put(f"/v1/queue/requests/{body['request_id']}/cancel")
    assert response.status_code == 409 and response.json()["error"]["type"] == "conflict"


def test_queue_positions_and_cancel_before_start(redis_url, tmp_path, dsp_backend, mixture):
    """With no worker running, jobs wait in order; a cancelled one never starts."""
    svc = LiveService(make_settings(redis_url, tmp_path), {"dsp": dsp_backend}, worker=False).start()
    try:
        with svc.client(svc.new_key()) as c:
            mix, _, sr = mixture
            fid = c.post("/v1/files", files={"file": ("m.wav", wav_bytes(mix[:sr], sr))}).json()["file_id"]
            ids_ = [submit(c, file_id=fid, prompt="the speaker")["request_id"] for _ in range(3)]
            positions = [c.get(f"/v1/queue/requests/{r}/status").json()["queue_position"] for r in ids_]
            assert positions == [0, 1, 2]
            pending = c.get(f"/v1/queue/requests/{ids_[0]}/result")
            assert pending.status_code == 202 and pending.json()["status"] == "IN_QUEUE"
            for _ in range(2):  # the same answer every time
                answer = c.put(f"/v1/queue/requests/{ids_[0]}/cancel")
                assert answer.status_code == 200 and answer.json() == {
                    "request_id": ids_[0],
                    "status": "CANCELLED",
                    "cancel_requested": True,
                }
            assert c.get(f"/v1/queue/requests/{ids_[2]}/status").json()["queue_position"] == 1
            # Now a worker starts: the cancelled job never runs, the others complete.
            svc.call(_run_worker_until_idle(svc))
            statuses = [c.get(f"/v1/queue/requests/{r}/status").json()["status"] for r in ids_]
            assert statuses == ["CANCELLED", "COMPLETED", "COMPLETED"]
            assert c.put(f"/v1/queue/requests/{ids_[1]}/cancel").status_code == 409
    finally:
        svc.stop()


async def _run_worker_until_idle(svc: LiveService) -> None:
    task = asyncio.create_task(svc.worker.run())
    while await svc.ctx.jobs.queue_length():
        await asyncio.sleep(0.05)
    svc.worker.stop()
    await task  # a stopped worker still finishes the jobs it claimed


# --- auth and tenancy -------------------------------------------------------------------------


def test_requests_need_a_valid_key(service):
    with service.client() as anonymous, service.client("al_not-a-key") as wrong:
        for c in (anonymous, wrong):
            response = c.post("/v1/queue/audio/separate", json={"input": {"prompt": "x", "file_id": "file_x"}})
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
            assert c.get("/v1/files/file_01jabc").status_code == 401


def test_one_key_never_sees_another_keys_data(service, client, uploaded):
    rid = submit(client, file_id=uploaded["file_id"], prompt="the speaker")["request_id"]
    with service.client(service.new_key("other")) as other:
        for method, path in [
            ("GET", f"/v1/queue/requests/{rid}/status"),
            ("GET", f"/v1/queue/requests/{rid}/result"),
            ("PUT", f"/v1/queue/requests/{rid}/cancel"),
            ("GET", f"/v1/queue/requests/{rid}/status/stream"),
            ("GET", f"/v1/queue/requests/{rid}/webhooks"),
            ("GET", f"/v1/files/{uploaded['file_id']}"),
            ("GET", f"/v1/files/{uploaded['file_id']}/content"),
            ("DELETE", f"/v1/files/{uploaded['file_id']}"),
        ]:
            response = other.request(method, path)
            assert response.status_code == 404, (method, path)
            assert response.json()["error"]["type"] == "not_found"
        response = other.post(
            "/v1/queue/audio/separate", json={"input": {"file_id": uploaded["file_id"], "prompt": "the speaker"}}
        )
        assert response.status_code == 422 and response.json()["error"]["field"] == "input.file_id"
    assert client.get(f"/v1/files/{uploaded['file_id']}").status_code == 200


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"input": {"prompt": "the speaker"}}, "input", "exactly one"),
        (
            {
                "input": {
                    "prompt": "x",
                    "audio_url": "https://a.example/a.wav",
                    "file_id": "file_01jabcdefghjkmnpqrstvwxyz0",
                }
            },
            "input",
            "exactly one",
        ),
        ({"input": {"audio_url": "https://a.example/a.wav", "prompt": "   "}}, "input.prompt", "blank"),
        ({"input": {"audio_url": "https://a.example/a.wav", "prompt": "x" * 501}}, "input.prompt", "at most 500"),
        (
            {"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "spans": [{"start": 3, "end": 2}]}},
            "input.spans[0]",
            "must end after it starts",
        ),
        (
            {"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "spans": [{"start": -1, "end": 2}]}},
            "input.spans[0].start",
            "must be 0 or more",
        ),
        (
            {
                "input": {
                    "audio_url": "https://a.example/a.wav",
                    "prompt": "x",
                    "spans": [{"start": 1, "end": 4}, {"start": 3, "end": 5, "include": False}],
                }
            },
            "input",
            "contradict",
        ),
        (
            {"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "spans": [{"start": 0, "end": 1}] * 65}},
            "input.spans",
            "at most 64",
        ),
        ({"input": {"audio_url": "https://a.example/a.wav", "promt": "x"}}, "input.prompt", "required"),
        ({"input": {"file_id": "../../etc/passwd", "prompt": "x"}}, "input.file_id", "pattern"),
        (
            {"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "output_format": "mp4"}},
            "input.output_format",
            "wav",
        ),
        (
            {"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "spans": [{"start": "0.1", "end": 1}]}},
            "input.spans[0].start",
            "must be a number (a JSON number, not a string)",
        ),
        (
            {
                "input": {
                    "audio_url": "https://a.example/a.wav",
                    "prompt": "x",
                    "spans": [{"start": 0, "end": 1, "include": "yes"}],
                }
            },
            "input.spans[0].include",
            "must be true or false",
        ),
    ],
    ids=[
        "no-source",
        "two-sources",
        "blank-prompt",
        "long-prompt",
        "span-order",
        "span-negative",
        "span-contradiction",
        "too-many-spans",
        "unknown-field",
        "bad-file-id",
        "bad-format",
        "span-start-string",
        "span-include-string",
    ],
)
def test_invalid_input_gets_one_error_envelope(client, body, field, words):
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    # Spans that are well formed but do not fit together have a type of their own: no
    # schema can say "end after start", so a client cannot know before it asks.
    assert error["type"] == (
        "invalid_spans" if words in ("must end after it starts", "contradict") else "invalid_request"
    )
    assert error["field"] == field
    assert words in error["message"]


@pytest.mark.parametrize("value", ["Infinity", "NaN"])
def test_non_finite_span_is_rejected(client, value):
    raw = '{"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "spans": [{"start": %s, "end": 1}]}}'
    response = client.post(
        "/v1/queue/audio/separate", content=raw % value, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error == {
        "type": "invalid_request",
        "field": "input.spans[0].start",
        "message": "input.spans[0].start must be a finite number, not NaN or infinity.",
    }


def test_a_form_body_is_told_to_send_json(client):
    response = client.post("/v1/queue/audio/separate", data={"prompt": "the speaker"})
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["type"] == "unsupported_media_type" and error["field"] == "Content-Type"
    assert "Content-Type: application/json" in error["message"]


def test_broken_json_names_the_line_and_column(client):
    raw = '{"input": {\n  "prompt": "x",\n  "audio_url": }}'
    response = client.post("/v1/queue/audio/separate", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "malformed_request" and "field" not in error
    assert "line 3, column 16" in error["message"] and "Content-Type: application/json" in error["message"]


def test_null_means_absent_for_every_optional_field(client, uploaded):
    body = {"input": {"file_id": uploaded["file_id"], "prompt": "the speaker", "spans": None}, "webhookUrl": None}
    assert client.post("/v1/queue/audio/separate", json=body).status_code == 202


@pytest.mark.parametrize(
    "request_kwargs, status, error_type, field",
    [
        (
            {"method": "GET", "url": "/v1/backends", "headers": {"Authorization": ""}},
            401,
            "unauthorized",
            "Authorization",
        ),
        ({"method": "DELETE", "url": "/v1/backends"}, 405, "method_not_allowed", "method"),
        ({"method": "GET", "url": "/v1/nothing-here"}, 404, "not_found", "path"),
        (
            {
                "method": "POST",
                "url": "/v1/queue/audio/separate",
                "content": b"{" + b" " * 70_000 + b"}",
                "headers": {"Content-Type": "application/json"},
            },
            413,
            "payload_too_large",
            "body",
        ),
    ],
    ids=["401", "405", "404", "413"],
)
def test_framework_errors_have_a_type_and_the_part_at_fault(client, request_kwargs, status, error_type, field):
    response = client.request(**request_kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["field"]) == (error_type, field) and len(error["message"]) > 10


def test_openapi_lists_every_error_type(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schema["ErrorType"]["enum"]) >= {
        "invalid_request",
        "unsupported_prompt",
        "rate_limited",
        "unsupported_media_type",
        "worker_lost",
    }


def test_unknown_backend_is_rejected_with_the_deployed_list(client):
    response = client.post(
        "/v1/queue/audio/separate",
        json={"input": {"audio_url": "https://a.example/a.wav", "prompt": "x", "backend": "nope"}},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "input.backend" and "dsp" in response.json()["error"]["message"]


def test_unknown_request_is_404_envelope(client):
    response = client.get("/v1/queue/requests/req_01jabc/status")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"


def test_openapi_describes_every_model(service):
    with service.client() as c:
        assert c.get("/docs").status_code == 200
        spec = c.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/v1/queue/audio/separate",
        "/v1/queue/requests/{request_id}/status",
        "/v1/queue/requests/{request_id}/result",
        "/v1/queue/requests/{request_id}/cancel",
        "/v1/files",
        "/v1/files/{file_id}",
        "/v1/files/{file_id}/content",
    ]:
        assert path in paths
    schemas = spec["components"]["schemas"]
    ours = [
        "SeparateInput",
        "SeparateRequest",
        "SubmitResponse",
        "StatusResponse",
        "ResultResponse",
        "FileObject",
        "FileInfo",
        "JobError",
        "Progress",
        "Timings",
        "ErrorEnvelope",
        "ErrorBody",
        "CancelResponse",
        "Span",
    ]
    assert [name for name in ours if not schemas[name].get("description")] == []
    inp = schemas["SeparateInput"]["properties"]
    for name in ("audio_url", "file_id", "prompt", "spans", "output_format", "backend"):
        assert inp[name].get("description"), name


# --- links and docs ---------------------------------------------------------------------------


def test_links_never_follow_the_host_header(client, uploaded, service):
    body = client.post(
        "/v1/queue/audio/separate",
        json={"input": {"file_id": uploaded["file_id"], "prompt": "the speaker"}},
        headers={"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    ).json()
    assert body["status_url"].startswith(f"{service.url}/v1/queue/requests/")  # the address it listens on
    assert "attacker" not in str(body)


def test_links_follow_a_configured_public_url_or_a_trusted_proxy(live_service, dsp_backend):
    public = live_service({"dsp": dsp_backend}, worker=False, public_url="https://audiolasso.example.com/")
    proxied = live_service({"dsp": dsp_backend}, worker=False, trusted_proxies=["127.0.0.0/8"])
    for service, expected in ((public, "https://audiolasso.example.com"), (proxied, "https://api.example.org")):
        with service.client(service.new_key()) as c:
            headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.org, internal:8000"}
            info = c.post(
                "/v1/files", files={"file": ("a.wav", wav_bytes(np.zeros(8000, np.float32), 8000))}, headers=headers
            ).json()
            assert info["url"] == f"{expected}/v1/files/{info['file_id']}/content"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_with_no_internet(client, page):
    html = client.get(page).text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets and all(a.startswith("/") for a in assets), assets  # nothing from a CDN
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
    assert 'url: "/openapi.json"' in html or 'spec-url="/openapi.json"' in html or "/openapi.json" in html
