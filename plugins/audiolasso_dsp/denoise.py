"""Steady background vs. everything that comes and goes.

The background's spectrum is the quantile of each frequency's magnitude over
time (minimum-statistics style): hum, hiss, fans, rain and traffic rumble sit
at that floor all the time, while speech, barks and rings rise above it only
now and then. A spectral-subtraction gain removes the floor.
"""

from __future__ import annotations

import numpy as np

from audiolasso_dsp.spectral import EPS, masked, stft

N_FFT = 2048  # 43 ms at 48 kHz; fine enough to resolve mains hum harmonics
HOP = 512
FLOOR_QUANTILE = 0.3  # the background fills at least 70% of the frames in every band
OVERSUBTRACT = 2.0  # the floor is a median-like level: peaks of the noise reach about twice it


def foreground(x: np.ndarray, quantile: float = FLOOR_QUANTILE, oversubtract: float = OVERSUBTRACT) -> np.ndarray:
    """``x`` without its steady background; ``x - foreground(x)`` is that background."""
    spec = stft(x, N_FFT, HOP)
    magnitude = np.abs(spec)
    floor = np.quantile(magnitude, quantile, axis=1, keepdims=True).astype(np.float32)
    gain = np.maximum(1.0 - (oversubtract * floor) ** 2 / (magnitude**2 + EPS), 0.0)
    return masked(x, spec, gain, N_FFT, HOP)


MAINS_HZ = (50.0, 60.0)
HUM_N_FFT = 16384  # 2.9 Hz bins at 48 kHz: hum partials stand apart from music's
HUM_HOP = 4096
HUM_TOP_HZ = 4000.0  # buzz reaches a few kHz; above that its partials drown in everything else
HUM_HALF_WIDTH = 2  # bins either side of a partial: the Hann window's main lobe


def hum(x: np.ndarray, sr: int) -> np.ndarray:
    """Mains hum or buzz in ``x``: the steady part of the bins at the partials of 50 or 60 Hz."""
    spec = stft(x, HUM_N_FFT, HUM_HOP)
    magnitude = np.abs(spec)
    # A sound present all the time sits at its median (of an even count, the lower middle value).
    middle = (magnitude.shape[1] - 1) // 2
    steady = np.partition(magnitude, middle, axis=1)[:, middle : middle + 1]
    bin_hz = sr / HUM_N_FFT
    partials = {f0: _partial_bins(f0, bin_hz, spec.shape[0]) for f0 in MAINS_HZ}
    # The mains frequency is the one whose partials stand out most above their neighbourhood.
    f0 = max(partials, key=lambda f: float(steady[partials[f]].mean() / (steady[partials[f] + 8].mean() + EPS)))
    gain = np.zeros_like(magnitude)
    gain[partials[f0]] = np.minimum((steady[partials[f0]] / (magnitude[partials[f0]] + EPS)) ** 2, 1.0)
    return masked(x, spec, gain, HUM_N_FFT, HUM_HOP)


def _partial_bins(f0: float, bin_hz: float, n_bins: int) -> np.ndarray:
    centres = np.round(np.arange(f0, HUM_TOP_HZ, f0) / bin_hz).astype(int)
    bins = (centres[:, None] + np.arange(-HUM_HALF_WIDTH, HUM_HALF_WIDTH + 1)).ravel()
    return np.unique(bins[(bins > 0) & (bins < n_bins - 8)])
