"""The learned backend (issue 4): training data, network and plugin, on real audio."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from support.audio import load_fixture, speech_plus_noise
from audiolasso_learned import model as net
from audiolasso_learned.backend import WEIGHTS, LearnedBackend
from audiolasso_learned.features import BINS, SAMPLE_RATE, frames, stft
from audiolasso_learned.training import sources
from audiolasso_learned.training.mixtures import EVENTS, INSTRUMENTS, NOISES, sample
from support.concepts import piano_then_flute
from support.backends import plan_prompt, separate_prompt
from serve_app.audio.metrics import si_sdr
from serve_app.audio.resample import resample
from serve_app.backend import SeparationItem, SpanHint
from serve_app.registry import get_backend


def _tone(rng: np.random.Generator, harmonics: int) -> np.ndarray:
    """Held notes with ``harmonics`` partials: a numpy stand-in for one instrument family."""
    n = int(sources.CLIP_S * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = np.repeat(rng.uniform(80, 800, 10), n // 10 + 1)[:n]
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    return sum(np.sin(k * phase) / k for k in range(1, harmonics + 1)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))


@pytest.fixture(scope="module")
def bank() -> dict[str, list[np.ndarray]]:
    """One clip per concept. The training bank renders instruments with fluidsynth,
    speech with espeak-ng and alarms from Debian sound themes; a test machine need
    not have those, so this bank stands in with committed recordings and numpy."""
    rng = np.random.default_rng(0)
    n = int(sources.CLIP_S * SAMPLE_RATE)
    out = {family: [_tone(rng, 2 + i)] for i, family in enumerate(INSTRUMENTS)}
    talkers = [load_fixture("speech.flac", SAMPLE_RATE), load_fixture("babble.flac", SAMPLE_RATE)]
    out["speech"] = [np.resize(np.roll(talkers[k % 2], 3000 * k), n) for k in range(8)]
    out.update({kind: [sources.noise(kind, rng, out["speech"])] for kind in NOISES})
    beep = np.sin(2 * np.pi * 880 * np.arange(n) / SAMPLE_RATE) * (np.arange(n) % SAMPLE_RATE < SAMPLE_RATE // 4)
    out["alarm"] = [beep.astype(np.float32)]
    out["knock"], out["bird"] = [sources.knock(rng)], [sources.chirps(rng)]
    assert set(out) >= set(EVENTS)
    return out


@pytest.fixture(scope="module")
def backend() -> LearnedBackend:
    b = LearnedBackend()
    b.load("cpu")
    return b


def _separate(backend: LearnedBackend, audio: np.ndarray, prompt: str, spans: list[SpanHint] = ()) -> np.ndarray:
    return separate_prompt(backend, audio, prompt, spans)


def test_same_seed_same_mixture(bank):
    a, b, c = sample(bank, 7, 2.0), sample(bank, 7, 2.0), sample(bank, 8, 2.0)
    assert np.array_equal(a.mixture, b.mixture) and np.array_equal(a.target, b.target)
    assert (a.prompt, a.phrase, a.spans) == (b.prompt, b.phrase, b.spans)
    assert not np.array_equal(a.mixture, c.mixture)
    assert len(a.mixture) == 2 * SAMPLE_RATE and np.abs(a.mixture).max() <= 1.0
    assert np.sqrt(np.mean(a.target**2)) > 1e-3  # the named sound is in the crop


def test_mixtures_cover_every_scene_and_name_their_target(bank):
    examples = [sample(bank, seed, 2.0) for seed in range(60)]
    assert {"speech", "alarm"} <= {e.concept for e in examples}
    assert any(e.spans for e in examples) and any(not e.spans for e in examples)
    for e in examples:
        assert e.phrase and e.phrase in e.prompt.lower()
        rest = e.mixture - e.target
        assert np.sqrt(np.mean(rest**2)) > 1e-3  # at least two sources


def test_network_shapes_and_shipped_size():
    model = net.MaskNet().eval()
    spec = stft(torch.randn(2, SAMPLE_RATE))
    with torch.inference_mode():
        mask = model(spec, torch.randn(2, 384), torch.zeros(2, spec.shape[-1]))
    assert mask.shape == (2, BINS, frames(SAMPLE_RATE)) and float(mask.min()) >= 0 and float(mask.max()) <= 1
    assert WEIGHTS.stat().st_size < 25e6
    shipped = net.load(WEIGHTS)
    assert sum(p.numel() for p in shipped.parameters()) == sum(p.numel() for p in model.parameters())


def test_entry_point_registers_the_backend():
    assert get_backend("learned") is LearnedBackend


def test_real_time_factor_on_one_thread(backend):
    audio = speech_plus_noise(0.0, 1, sr=SAMPLE_RATE)[0]
    audio = np.resize(audio, 10 * SAMPLE_RATE).astype(np.float32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        best = min(_timed(lambda: _separate(backend, audio, "isolate the speaker")) for _ in range(3))
    finally:
        torch.set_num_threads(threads)
    # Measured 0.007 on the 2-core dev machine; the bound leaves room for a busy one.
    assert best / 10.0 < 0.25


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def test_separates_the_prompted_source(backend):
    mixture, clean, _ = speech_plus_noise(0.0, 2, sr=SAMPLE_RATE)
    estimate = _separate(backend, mixture, "isolate the speaker")
    assert estimate.shape == mixture.shape
    assert si_sdr(estimate, clean) > si_sdr(mixture, clean) + 3.0
    # "remove the noise" names the noise: its complement is the speech again.
    removed = _separate(backend, mixture, "remove the background noise")
    assert si_sdr(removed, clean) > si_sdr(mixture, clean) + 3.0


def test_spans_change_the_estimate(backend):
    mixture, _, sr, spans = piano_then_flute()
    mixture = resample(mixture, sr, SAMPLE_RATE)
    hints = [SpanHint(**s) for s in spans]
    plain = _separate(backend, mixture, "isolate the piano")
    hinted = _separate(backend, mixture, "isolate the piano", hints)
    change = np.sqrt(np.mean((hinted - plain) ** 2)) / np.sqrt(np.mean(plain**2))
    assert change > 0.05


def test_equal_length_chunks_batch_without_changing_results(backend):
    mixture, _, _ = speech_plus_noise(5.0, 3, sr=SAMPLE_RATE)
    _, plan = plan_prompt(backend, "isolate the speaker")
    items = [SeparationItem(mixture[:SAMPLE_RATE], plan), SeparationItem(mixture[SAMPLE_RATE : 2 * SAMPLE_RATE], plan),
             SeparationItem(mixture[: SAMPLE_RATE // 2], plan)]
    batched = backend.separate(items)
    assert [len(x) for x in batched] == [SAMPLE_RATE, SAMPLE_RATE, SAMPLE_RATE // 2]
    for item, out in zip(items, batched, strict=True):
        assert np.allclose(backend.separate([item])[0], out, atol=1e-4)


def test_weights_option_loads_another_model(tmp_path):
    other = net.MaskNet()
    net.save(other, tmp_path / "other.safetensors")
    backend = LearnedBackend(options={"weights": str(tmp_path / "other.safetensors")})
    backend.load("cpu")
    shipped = LearnedBackend()
    shipped.load("cpu")
    audio = speech_plus_noise(0.0, 4, sr=SAMPLE_RATE)[0][:SAMPLE_RATE]
    assert not np.allclose(_separate(backend, audio, "isolate the speaker"), _separate(shipped, audio, "isolate the speaker"))
