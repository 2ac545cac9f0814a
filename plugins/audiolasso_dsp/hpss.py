"""Harmonic-percussive separation by median filtering (Fitzgerald, 2010).

On an STFT magnitude, sustained tones are horizontal ridges and drum hits are
vertical lines. A median along time keeps the first, a median along frequency
keeps the second; the two filtered spectrograms become soft (Wiener) masks.
"""

from __future__ import annotations

import bottleneck
import numpy as np

from audiolasso_dsp.spectral import fft_size, masked, odd, soft_mask, stft

FRAME_S = 0.085  # ~4096 samples at 48 kHz: fine enough in frequency to resolve partials
HARMONIC_KERNEL_S = 0.5  # a note sustains at least this long; a hit is much shorter
PERCUSSIVE_KERNEL_HZ = 400.0  # a hit is broadband; a partial is much narrower
MASK_POWER = 2.0


def percussive(x: np.ndarray, sr: int) -> np.ndarray:
    """The percussive part of mono float32 ``x``; ``x - percussive(x)`` is the harmonic part."""
    n_fft = fft_size(FRAME_S, sr)
    hop = n_fft // 2  # half the frames of the usual n_fft // 4 for a 2.5x faster filter; -0.3 dB on drums
    spec = stft(x, n_fft, hop)
    magnitude = np.abs(spec)
    harmonic = median(magnitude, odd(HARMONIC_KERNEL_S * sr / hop), axis=1)
    perc = median(magnitude, odd(PERCUSSIVE_KERNEL_HZ * n_fft / sr), axis=0)
    return masked(x, spec, soft_mask(perc, harmonic, MASK_POWER), n_fft, hop)


def harmonic(x: np.ndarray, sr: int) -> np.ndarray:
    """The harmonic (sustained) part of mono float32 ``x``."""
    return x - percussive(x, sr)


def median(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Centred running median of odd ``size`` along ``axis``, edges mirrored: ``scipy.ndimage``'s
    ``median_filter`` with ``mode="reflect"`` wherever the axis is longer than half the window
    (here, chunks over a tenth of a second), by bottleneck's double heap: O(log size) per bin
    where ndimage's selection costs O(size), 5-10x faster here."""
    n, half = x.shape[axis], size // 2
    # Mirror images of the axis repeat with period 2n (ndimage's "reflect", also where size > n).
    mirrored = np.arange(-half, n + half) % (2 * n)
    mirrored = np.where(mirrored < n, mirrored, 2 * n - 1 - mirrored)
    running = bottleneck.move_median(np.take(x, mirrored, axis=axis), size, axis=axis)
    keep = [slice(None)] * x.ndim
    keep[axis] = slice(size - 1, None)
    return running[tuple(keep)]
