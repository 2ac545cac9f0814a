"""Short-time Fourier transform round trips in numpy, as ``torch.stft``/``torch.istft`` compute them.

Centred frames (the signal padded by half a frame at both ends), a periodic Hann
window, one-sided spectra; the inverse overlap-adds and divides by the window's
squared envelope. The backends run on these in their Separators, which then
never import torch (``tests/unit/test_stft.py`` holds them to torch's values).
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
import scipy.fft


@functools.cache
def hann(n_fft: int) -> np.ndarray:
    """The periodic Hann window (``torch.hann_window``'s default)."""
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    window.setflags(write=False)
    return window


def frame_count(samples: int, hop: int) -> int:
    return samples // hop + 1


def stft(x: np.ndarray, n_fft: int, hop: int, pad_mode: Literal["constant", "reflect"] = "constant") -> np.ndarray:
    """Complex64 spectrogram (..., n_fft // 2 + 1, frames) of float ``x`` (..., samples)."""
    x = np.asarray(x, dtype=np.float32)
    half = n_fft // 2
    widths = [(0, 0)] * (x.ndim - 1) + [(half, half)]
    padded = np.pad(x, widths, mode=pad_mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, n_fft, axis=-1)[..., ::hop, :]
    frames = windows[..., : frame_count(x.shape[-1], hop), :] * hann(n_fft)
    return np.swapaxes(scipy.fft.rfft(frames, axis=-1), -1, -2).astype(np.complex64, copy=False)


def istft(spec: np.ndarray, n_fft: int, hop: int, length: int) -> np.ndarray:
    """Float32 signal (..., length) whose ``stft`` is ``spec`` (..., n_fft // 2 + 1, frames)."""
    frames = scipy.fft.irfft(np.swapaxes(spec, -1, -2), n=n_fft, axis=-1).astype(np.float32, copy=False)
    frames *= hann(n_fft)
    out = _overlap_add(frames, hop)[..., n_fft // 2 : n_fft // 2 + length]
    out /= _envelope(n_fft, hop, frames.shape[-2])[: out.shape[-1]]
    if out.shape[-1] < length:
        out = np.pad(out, [(0, 0)] * (out.ndim - 1) + [(0, length - out.shape[-1])])
    return out


def _overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """(..., frames, n_fft) -> (..., (frames - 1) * hop + n_fft), piece k of each frame k hops after its start."""
    n_frames, n_fft = frames.shape[-2:]
    if n_fft % hop:
        raise ValueError(f"the hop ({hop}) must divide the frame ({n_fft})")
    pieces = n_fft // hop
    out = np.zeros((*frames.shape[:-2], (n_frames + pieces - 1) * hop), dtype=np.float32)
    for k in range(pieces):
        out[..., k * hop : (k + n_frames) * hop] += frames[..., k * hop : (k + 1) * hop].reshape(*out.shape[:-1], -1)
    return out


@functools.lru_cache(maxsize=32)
def _envelope(n_fft: int, hop: int, n_frames: int) -> np.ndarray:
    """The squared windows' overlap-add past the leading half frame; never zero there for hop <= n_fft / 2."""
    squared = np.broadcast_to(hann(n_fft) ** 2, (n_frames, n_fft))
    envelope = _overlap_add(squared, hop)[n_fft // 2 :]
    envelope.setflags(write=False)
    return envelope
