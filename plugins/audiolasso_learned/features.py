"""The signal front end shared by training and inference: STFT and the span channel (numpy).

Training runs the same transforms in torch (``model.stft``/``model.istft``, on a
GPU when there is one); ``tests/unit/test_learned.py`` holds the two together.
"""

from __future__ import annotations

import numpy as np

from audiolasso_learned import SAMPLE_RATE
from serve_app.audio import stft as transform

N_FFT = 2048
HOP = 512  # 11.6 ms frames
BINS = N_FFT // 2 + 1
EPS = 1e-8


def stft(x: np.ndarray) -> np.ndarray:
    """(batch, samples) float -> (batch, BINS, frames) complex64; edges mirrored (torch.stft's default)."""
    return transform.stft(x, N_FFT, HOP, pad_mode="reflect")


def istft(spec: np.ndarray, length: int) -> np.ndarray:
    return transform.istft(spec, N_FFT, HOP, length)


def frames(samples: int) -> int:
    return transform.frame_count(samples, HOP)


def log_magnitude(spec: np.ndarray) -> np.ndarray:
    """Level-normalised log magnitude: each item is scaled to unit mean power first,
    so the network sees the same numbers for a quiet and a loud take."""
    mag = np.abs(spec)
    scale = np.sqrt(np.maximum((mag**2).mean(axis=(1, 2), keepdims=True), EPS))
    return np.log(mag / scale + 1e-3)


def span_channel(spans: list[tuple[float, float, bool]], n_frames: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame hint: +1 where an include span says the target sounds, -1 where an
    exclude span says it does not, 0 where nothing is known."""
    out = np.zeros(n_frames, dtype=np.float32)
    times = np.arange(n_frames) * HOP / sample_rate
    for start, end, include in spans:
        out[(times >= start) & (times < end)] = 1.0 if include else -1.0
    return out
