"""Prompt understanding through the API: the reading in the 202, the status and the
result; weak-prompt advice; prompts refused at submit; opposite prompts give swapped
tracks on every backend."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf

from support.audio import speech_plus_noise
from support.service import wait_status


@pytest.fixture(scope="module")
def service(live_service, dsp_backend, learned_backend, lowpass_backend):
    return live_service({"dsp": dsp_backend, "learned": learned_backend, "lowpass": lowpass_backend})


@pytest.fixture(scope="module")
def file_id(client) -> str:
    mix, _, sr = speech_plus_noise(snr_db=5.0, seed=1)
    buf = io.BytesIO()
    sf.write(buf, mix[: 2 * sr], sr, format="WAV", subtype="FLOAT")
    response = client.post("/v1/files", files={"file": ("mix.wav", buf.getvalue(), "audio/wav")})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


def finish(client, prompt: str, file_id: str, spans: list[dict] | None = None) -> tuple[dict, dict, dict]:
    """(202 body, final status, result body) of one job."""
    submitted = client.post(
        "/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt, "spans": spans or []}}
    )
    assert submitted.status_code == 202, submitted.text
    body = submitted.json()
    deadline = time.monotonic() + 60
    while (status := client.get(body["status_url"]).json())["status"] not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    return body, status, client.get(body["result_url"]).json()


@pytest.mark.parametrize("prompt", ["clean this", "make better", "remove noise"])
def test_weak_prompt_is_accepted_with_advice_everywhere(client, file_id, prompt):
    body, status, result = finish(client, prompt, file_id)
    assert status["status"] == "COMPLETED"
    [advice] = body["warnings"]
    assert f'"{prompt}"' in advice and "isolate the lead vocal" in advice
    assert status["warnings"] == [advice] and result["warnings"] == [advice]
    assert result["interpretation"]["vague"] is True and result["interpretation"]["inverted"] is True


def test_specific_prompt_reports_its_reading_from_submit_on_and_no_warning(client, file_id):
    body, status, result = finish(client, "remove crowd noise and keep the speaker", file_id)
    assert "warnings" not in body and "warnings" not in status and result["warnings"] == []
    reading = result["interpretation"]
    assert body["interpretation"] == status["interpretation"] == reading  # known before the work
    assert (reading["phrase"], reading["concept"], reading["family"], reading["inverted"]) == (
        "speaker",
        "speech",
        "voice",
        False,
    )
    assert reading["keep"]["phrase"] == "speaker" and reading["remove"]["concept"] == "crowd"
    assert 0.5 <= reading["confidence"] <= 1.0 + 1e-6 and reading["method"] == "deepfilternet3"
    assert reading["backend"] == "dsp" and reading["vague"] is False


def test_a_misread_job_can_be_cancelled_at_once(client):
    # A minute of audio: long enough that the job is still queued or running when the cancel comes.
    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(3).standard_normal(60 * 16000).astype(np.float32) * 0.1, 16000, format="WAV")
    uploaded = client.post("/v1/files", files={"file": ("minute.wav", buf.getvalue(), "audio/wav")}).json()
    body = client.post(
        "/v1/queue/audio/separate",
        json={"input": {"file_id": uploaded["file_id"], "prompt": "remove everything except the drums"}},
    ).json()
    assert (body["interpretation"]["phrase"], body["interpretation"]["inverted"]) == ("drums", False)
    assert client.put(f"/v1/queue/requests/{body['request_id']}/cancel").status_code in (200, 202)


def test_a_sound_outside_the_catalog_is_served_as_the_nearest_with_a_warning(client, file_id):
    body, status, result = finish(client, "extract the cuckoo calls", file_id)
    assert status["status"] == "COMPLETED"
    assert (body["interpretation"]["phrase"], body["interpretation"]["concept"]) == ("cuckoo calls", "bird")
    [warning] = body["warnings"]
    assert '"cuckoo calls"' in warning and "birds" in warning and result["warnings"] == [warning]


@pytest.mark.parametrize("prompt", ["separa la voz", "🎤 only", "isolate the glorp"])
def test_a_prompt_the_backend_cannot_serve_is_refused_at_submit(client, file_id, prompt):
    response = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt}})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "unsupported_prompt" and error["field"] == "input.prompt"
    assert "words" in error["message"] or "It separates: speech" in error["message"]


def test_a_text_queried_backend_gets_the_phrase_itself(client, file_id):
    body = client.post(
        "/v1/queue/audio/separate",
        json={
            "input": {
                "file_id": file_id,
                "prompt": "could you remove everything except the cuckoo calls?",
                "backend": "learned",
            }
        },
    )
    assert body.status_code == 202, body.text
    reading = body.json()["interpretation"]
    assert (reading["phrase"], reading["inverted"], reading["backend"]) == ("cuckoo calls", False, "learned")
    assert "warnings" not in body.json()  # an open-vocabulary backend needs no nearest concept


def tracks(client, result: dict) -> tuple[np.ndarray, np.ndarray]:
    return tuple(
        sf.read(io.BytesIO(client.get(result[role]["url"]).content), dtype="float32")[0]
        for role in ("target", "residual")
    )


@pytest.mark.parametrize("backend, sound", [("dsp", "the drums"), ("learned", "the drums"), ("lowpass", "the bass")])
def test_a_prompt_and_its_opposite_swap_target_and_residual(client, file_id, backend, sound):
    results = []
    for prompt in (f"isolate {sound}", f"remove {sound}"):
        submitted = client.post(
            "/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt, "backend": backend}}
        ).json()
        assert wait_status(client, submitted["request_id"])["status"] == "COMPLETED"
        results.append(tracks(client, client.get(submitted["result_url"]).json()))
    (kept_target, kept_residual), (removed_target, removed_residual) = results
    assert np.abs(kept_target).max() > 1e-3
    np.testing.assert_allclose(kept_target, removed_residual, atol=1e-5)
    np.testing.assert_allclose(kept_residual, removed_target, atol=1e-5)


def test_spans_past_the_end_of_an_upload_are_refused_naming_the_span(client, file_id):
    spans = [{"start": 0.2, "end": 1.0, "include": True}, {"start": 1.5, "end": 9.0, "include": False}]
    response = client.post(
        "/v1/queue/audio/separate",
        json={"input": {"file_id": file_id, "prompt": "keep only the speaker I marked", "spans": spans}},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_spans" and error["field"] == "input.spans[1]"
    assert "1.5-9 s reaches past the end of the audio (2.00 s)" in error["message"]
