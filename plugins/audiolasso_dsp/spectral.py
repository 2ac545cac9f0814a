"""STFT round trips and soft masks shared by the DSP methods (numpy)."""

from __future__ import annotations

import numpy as np

from serve_app.audio import stft as transform

EPS = 1e-9


def stft(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Complex spectrogram (n_fft // 2 + 1, frames) of mono ``x``.

    Zero padding at the edges (not reflection) so chunks shorter than a frame work too.
    """
    return transform.stft(x, n_fft, hop, pad_mode="constant")


def masked(x: np.ndarray, spec: np.ndarray, mask: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """``x`` filtered by ``mask`` (broadcast against ``spec``, the STFT of ``x``)."""
    return transform.istft(spec * mask, n_fft, hop, len(x))


def soft_mask(wanted: np.ndarray, other: np.ndarray, power: float = 2.0) -> np.ndarray:
    """Wiener-style mask wanted^p / (wanted^p + other^p); silent bins split evenly."""
    w = wanted**power
    total = w + other**power
    return np.divide(w, np.maximum(total, EPS), out=np.full_like(w, 0.5), where=total > 0)


def fft_size(seconds: float, sr: int) -> int:
    """The power of two nearest ``seconds`` of samples at ``sr``."""
    return 1 << int(round(np.log2(seconds * sr)))


def odd(n: float) -> int:
    """A median filter's width: ``int(n)``, or the odd number just above it; at least 3."""
    return max(3, int(n) | 1)


def frame_of(seconds: float, sr: int, hop: int) -> int:
    """The STFT frame centred nearest ``seconds`` (frames are centred at multiples of ``hop``)."""
    return int(round(seconds * sr / hop))


def frame_energy(x: np.ndarray, hop: int) -> np.ndarray:
    """The energy of each whole frame of ``hop`` samples (a part frame at the end is left out)."""
    n = len(x) // hop
    return (x[: n * hop].astype(np.float64).reshape(n, hop) ** 2).sum(1)
