"""Prompt understanding through the API: weak-prompt warnings in the 202, the
status and the result; the reading reported as the result's interpretation."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf

from audio_fixtures import speech_plus_noise
from conftest import LiveService, make_settings


@pytest.fixture(scope="module")
def client(redis_url, tmp_path_factory, dsp_backend):
    service = LiveService(make_settings(redis_url, tmp_path_factory.mktemp("data")), {"dsp": dsp_backend}).start()
    with service.client(service.new_key()) as c:
        yield c
    service.stop()


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
    submitted = client.post("/v1/queue/audio/separate",
                            json={"input": {"file_id": file_id, "prompt": prompt, "spans": spans or []}})
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


def test_specific_prompt_reports_its_reading_and_no_warning(client, file_id):
    body, status, result = finish(client, "remove crowd noise and keep the speaker", file_id)
    assert "warnings" not in body and "warnings" not in status and result["warnings"] == []
    reading = result["interpretation"]
    assert (reading["concept"], reading["family"], reading["inverted"]) == ("speech", "voice", False)
    assert reading["keep"]["phrase"] == "speaker" and reading["remove"]["concept"] == "crowd"
    assert 0.5 <= reading["confidence"] <= 1.0 + 1e-6 and reading["method"] == "deepfilternet3"


def test_spans_past_the_end_are_clipped_with_a_warning(client, file_id):
    spans = [{"start": 0.2, "end": 1.0, "include": True}, {"start": 1.5, "end": 9.0, "include": False},
             {"start": 12.0, "end": 13.0, "include": False}]
    _, status, result = finish(client, "keep only the speaker I marked", file_id, spans)
    assert status["status"] == "COMPLETED"
    cut, ignored = result["warnings"]
    assert "1.5-9 s ends after the audio (2.00 s)" in cut and "12-13 s starts after the audio" in ignored
    assert result["interpretation"]["method"] == "deepfilternet3+span-gate"
    target = sf.read(io.BytesIO(client.get(result["target"]["url"]).content))[0]
    assert np.isfinite(target).all() and len(target) == 2 * result["sample_rate"]
