"""Output formats over real HTTP: what each promises, as a downloaded track shows it
(real Redis, a real worker, the out-of-tree lowpass test backend)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from support.service import wait_status


@pytest.fixture(scope="module")
def service(live_service, lowpass_backend):
    return live_service({"lowpass": lowpass_backend})


def _upload(client, audio: np.ndarray, sr: int, fmt: str, subtype: str) -> dict:
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format=fmt, subtype=subtype)
    response = client.post("/v1/files", files={"file": (f"in.{fmt.lower()}", buf.getvalue())})
    assert response.status_code == 201, response.text
    return response.json()


def _separate(client, file_id: str, output_format: str) -> dict:
    body = {
        "input": {"file_id": file_id, "prompt": "the low end", "backend": "lowpass", "output_format": output_format}
    }
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 202, response.text
    request_id = response.json()["request_id"]
    assert wait_status(client, request_id)["status"] == "COMPLETED"
    return client.get(f"/v1/queue/requests/{request_id}/result").json()


def _download(client, track: dict) -> tuple[np.ndarray, sf._SoundFileInfo]:
    response = client.get(track["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == track["content_type"]
    data = io.BytesIO(response.content)
    info = sf.info(data)
    data.seek(0)
    audio, _ = sf.read(data, dtype="float64", always_2d=True)
    return audio, info


def _noise(seconds: float, sr: int, channels: int) -> np.ndarray:
    return np.random.default_rng(channels).uniform(-0.5, 0.5, (int(seconds * sr), channels))


def test_float_wav_reconstructs_the_mixture_to_float32_rounding(client):
    mix = _noise(1.0, 16000, 1).astype(np.float32)
    result = _separate(client, _upload(client, mix, 16000, "WAV", "FLOAT")["file_id"], "wav")
    target, _ = _download(client, result["target"])
    residual, _ = _download(client, result["residual"])
    # residual = mixture - target, rounded to float32 once: the sum is off by at most that rounding.
    largest = np.maximum(np.abs(mix), np.abs(residual)).astype(np.float32)
    assert np.all(np.abs(target + residual - mix) <= np.spacing(largest))


def test_same_keeps_container_rate_channels_and_bit_depth(client):
    upload = _upload(client, _noise(1.0, 22050, 2), 22050, "FLAC", "PCM_16")
    result = _separate(client, upload["file_id"], "same")
    for role in ("target", "residual"):
        track = result[role]
        assert track["content_type"] == "audio/flac" and track["file_name"].endswith(".flac")
        assert (track["sample_rate"], track["channels"]) == (22050, 2)
        _, info = _download(client, track)
        assert (info.format, info.subtype, info.samplerate, info.channels) == ("FLAC", "PCM_16", 22050, 2)


@pytest.mark.parametrize(
    ("output_format", "container", "subtype", "content_type"),
    [
        ("wav16", "WAV", "PCM_16", "audio/wav"),
        ("wav24", "WAV", "PCM_24", "audio/wav"),
        ("mp3", "MP3", "MPEG_LAYER_III", "audio/mpeg"),
        ("ogg", "OGG", "VORBIS", "audio/ogg"),
    ],
)
def test_each_format_is_what_it_says(client, output_format, container, subtype, content_type):
    upload = _upload(client, _noise(1.0, 44100, 2), 44100, "WAV", "PCM_16")
    track = _separate(client, upload["file_id"], output_format)["residual"]
    assert track["content_type"] == content_type
    audio, info = _download(client, track)
    assert (info.format, info.subtype, info.samplerate, info.channels) == (container, subtype, 44100, 2)
    assert audio.shape[1] == 2 and np.abs(audio).max() > 0.05  # the residual of noise is not silence


def test_opus_resamples_to_a_rate_it_takes_and_says_so(client):
    upload = _upload(client, _noise(1.0, 44100, 1), 44100, "WAV", "PCM_16")
    result = _separate(client, upload["file_id"], "opus")
    assert result["target"]["sample_rate"] == 48000 and result["sample_rate"] == 44100
    assert result["target"]["file_name"].endswith(".opus")
    assert any("48000 Hz" in warning for warning in result["warnings"])
    _, info = _download(client, result["target"])
    assert (info.subtype, info.samplerate) == ("OPUS", 48000)


def test_mp3_of_more_than_two_channels_is_refused_at_submit(client):
    upload = _upload(client, _noise(0.5, 16000, 3), 16000, "WAV", "PCM_16")
    body = {
        "input": {"file_id": upload["file_id"], "prompt": "the low end", "backend": "lowpass", "output_format": "mp3"}
    }
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "unsupported_output_format" and error["field"] == "input.output_format"
    assert "3" in error["message"] and "wav" in error["message"]
