"""The built-in ``dsp`` backend: prompts it serves, separation quality, alignment."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from audio_fixtures import drums_plus_tones, speech_plus_noise
from audiolasso_dsp.backend import DSPBackend
from serve_app.audio.metrics import si_sdr
from serve_app.backend import SeparationItem, UnsupportedPrompt
from serve_app.plugins import backends


def run(backend: DSPBackend, prompt: str, audio: np.ndarray) -> np.ndarray:
    (target,) = backend.separate([SeparationItem(audio=audio, plan=backend.interpret(prompt, []))])
    assert target.shape == audio.shape and target.dtype == np.float32
    return target


def best_lag(estimate: np.ndarray, reference: np.ndarray) -> int:
    corr = signal.correlate(estimate, reference, mode="full", method="fft")
    return int(signal.correlation_lags(len(estimate), len(reference))[np.argmax(corr)])


def test_registered_through_the_entry_point():
    cls = backends()["dsp"]
    assert cls is DSPBackend
    info = cls.info
    assert info.sample_rate == 48000 and info.capabilities.text and not info.capabilities.spans
    assert info.max_batch_size == 8 and info.resources.num_cpus == 1


@pytest.mark.parametrize(
    "prompt, concept, inverted",
    [
        ("remove crowd noise and keep the speaker", "speech", False),
        ("isolate the speaker", "speech", False),
        ("the speaker", "speech", False),
        ("remove the noise and keep the speaker", "speech", False),
        ("extract the voice", "speech", False),
        ("keep the speech", "speech", False),
        ("remove the noise", "speech", False),
        ("remove the speaker", "speech", True),
        ("drop the voice, I only need the backing track", "speech", True),
        ("isolate the background noise", "speech", True),
        ("isolate the drums", "drums", False),
        ("the drums", "drums", False),
        ("extract the percussion", "drums", False),
        ("remove the drums", "drums", True),
        ("keep the melody", "drums", True),
    ],
)
def test_interpret(prompt, concept, inverted):
    plan = DSPBackend().interpret(prompt, [])
    assert plan == {
        "concept": concept,
        "inverted": inverted,
        "method": "deepfilternet3" if concept == "speech" else "hpss-median",
    }
    assert json.loads(json.dumps(plan)) == plan


@pytest.mark.parametrize(
    "prompt",
    ["isolate the piano", "pull the barking dog out of this street noise", "remove the hum and keep the guitar", ""],
)
def test_unsupported_prompt_lists_capabilities(prompt):
    with pytest.raises(UnsupportedPrompt) as info:
        DSPBackend().interpret(prompt, [])
    message = str(info.value)
    assert "speech/speaker/voice" in message and "drums/percussion" in message
    assert '"isolate the speaker"' in message


def test_separate_needs_load():
    with pytest.raises(RuntimeError, match="load"):
        DSPBackend().separate([SeparationItem(audio=np.zeros(480, np.float32), plan={})])


@pytest.mark.parametrize("noise, min_gain_db", [("pink", 3.0), ("babble", 1.5)])
def test_speech_enhancement_improves_si_sdr(dsp_backend, noise, min_gain_db):
    mixture, clean, _ = speech_plus_noise(snr_db=0.0, seed=1, noise=noise)
    target = run(dsp_backend, "remove crowd noise and keep the speaker", mixture)
    gain = si_sdr(target, clean) - si_sdr(mixture, clean)
    assert gain >= min_gain_db, f"SI-SDR improvement {gain:.2f} dB"


def test_speech_target_is_sample_aligned(dsp_backend):
    mixture, clean, _ = speech_plus_noise(snr_db=10.0, seed=2)
    target = run(dsp_backend, "isolate the speaker", mixture)
    assert abs(best_lag(target, clean)) <= 2


def test_remove_the_speaker_returns_the_rest(dsp_backend):
    mixture, clean, _ = speech_plus_noise(snr_db=0.0, seed=3)
    speech = run(dsp_backend, "isolate the speaker", mixture)
    rest = run(dsp_backend, "remove the speaker", mixture)
    np.testing.assert_allclose(speech + rest, mixture, atol=1e-6)
    noise = mixture - clean
    assert si_sdr(rest, noise) - si_sdr(mixture, noise) >= 3.0


def test_drums_are_separated_from_tones(dsp_backend):
    mixture, drums, _ = drums_plus_tones(seed=4)
    target = run(dsp_backend, "isolate the drums", mixture)
    assert si_sdr(target, drums) - si_sdr(mixture, drums) >= 2.0
    tones = mixture - drums
    rest = run(dsp_backend, "remove the drums", mixture)
    assert si_sdr(rest, tones) - si_sdr(mixture, tones) >= 2.0
    np.testing.assert_allclose(target + rest, mixture, atol=1e-6)


def test_batch_of_mixed_items_keeps_each_length(dsp_backend):
    rng = np.random.default_rng(5)
    items = [
        SeparationItem(audio=rng.standard_normal(n).astype(np.float32) * 0.1, plan=dsp_backend.interpret(p, []))
        for n, p in [(12345, "isolate the speaker"), (7, "isolate the drums"), (100, "remove the speaker")]
    ]
    out = dsp_backend.separate(items)
    assert [len(t) for t in out] == [12345, 7, 100]
    assert all(t.dtype == np.float32 and np.isfinite(t).all() for t in out)


def test_stereo_item_is_refused(dsp_backend):
    item = SeparationItem(audio=np.zeros((2, 480), np.float32), plan=dsp_backend.interpret("the drums", []))
    with pytest.raises(ValueError, match="mono"):
        dsp_backend.separate([item])
