"""Spectral peaks (``audiolasso_dsp.tonal``): a ring's partials kept, a noise's spread thinned."""

from __future__ import annotations

import numpy as np
import pytest

from audiolasso_dsp import tonal
from serve_app.audio.metrics import si_sdr

SR = 48000


def _ring_and_noise(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A three-partial ring (0.3 s on, 0.2 s off) and pink noise of the same power."""
    t = np.arange(3 * SR) / SR
    on = (t % 0.5) < 0.3
    ring = 0.1 * on * sum(a * np.sin(2 * np.pi * f * t) for f, a in ((1000, 1.0), (1500, 0.5), (2400, 0.3)))
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(len(t)))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))  # 1/f power
    noise = np.fft.irfft(spectrum, len(t))
    noise *= np.sqrt((ring**2).mean() / (noise**2).mean())
    return ring.astype(np.float32), noise.astype(np.float32)


def _kept(x: np.ndarray) -> float:
    return float((tonal.peaks(x, SR) ** 2).sum() / (x**2).sum())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_ring_keeps_its_partials_and_a_noise_loses_half(seed):
    ring, noise = _ring_and_noise(seed)
    assert _kept(ring) > 0.95  # 0.99
    assert _kept(noise) < 0.6  # 0.47-0.55: noise bins rise over their median now and then
    mixture = ring + noise
    assert si_sdr(tonal.peaks(mixture, SR), ring) - si_sdr(mixture, ring) > 2.0  # 2.5-3.1 dB
