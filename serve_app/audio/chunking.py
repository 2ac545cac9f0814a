"""Cut long audio into fixed overlapping windows and blend the processed pieces back.

Fixed-size windows let chunks of different jobs share one batch; the overlap
is crossfaded so window edges do not click. ``excerpts`` samples a long
recording for job-level steps that must stay cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Window = tuple[int, int]


def plan_windows(n_samples: int, window: int, overlap: int) -> list[Window]:
    """(start, end) windows of ``window`` samples, consecutive ones sharing ``overlap``.

    The last window ends at ``n_samples`` and may be shorter (but always longer
    than ``overlap``); a signal no longer than one window gives one window.
    """
    if n_samples <= 0:
        raise ValueError("n_samples must be positive")
    if not 0 <= overlap <= window // 2:
        # Wider overlaps would let three windows meet at one sample.
        raise ValueError("overlap must be between 0 and half the window")
    hop = window - overlap
    windows = []
    start = 0
    while True:
        end = min(start + window, n_samples)
        windows.append((start, end))
        if end == n_samples:
            return windows
        start += hop


class OverlapAdd:
    """Processed windows blended into one (*lead, n_samples) signal as they arrive, in any
    order, so a job holds its output and not every piece until the last one.

    Overlaps get complementary raised-cosine fades, and the result is divided by the summed
    weights so it is exact even where rounding leaves the sum a hair off 1: identity
    processing returns the input.
    """

    def __init__(self, windows: list[Window], n_samples: int, lead: tuple[int, ...] = ()):
        self.windows = windows
        # float32 throughout: at most two pieces overlap, and a 10 min stereo job's buffer halves.
        self._out = np.zeros((*lead, n_samples), dtype=np.float32)
        self._total = np.zeros(n_samples, dtype=np.float32)
        for i, (start, end) in enumerate(windows):
            self._total[start:end] += self._weight(i)
        if not (self._total > 0).all():
            raise ValueError("the windows do not cover the whole signal")

    def add(self, i: int, piece: np.ndarray, at: tuple[int, ...] = ()) -> None:
        """Window ``i``'s piece (shaped (..., >= its length); padding for batching is dropped),
        into the output at index ``at`` of the lead dimensions (a channel)."""
        start, end = self.windows[i]
        if piece.shape[-1] < end - start:
            raise ValueError(f"piece {i} is shorter than its window")
        where: tuple[Any, ...] = (*at, Ellipsis, slice(start, end))
        self._out[where] += piece[..., : end - start] * self._weight(i)

    def result(self) -> np.ndarray:
        """The blended signal, once every window is in (call once: it normalises in place)."""
        self._out /= self._total
        return self._out

    def _weight(self, i: int) -> np.ndarray:
        start, end = self.windows[i]
        weight = np.ones(end - start, dtype=np.float32)
        if i > 0:
            fade = self.windows[i - 1][1] - start
            weight[:fade] *= _fade_in(fade)
        if i < len(self.windows) - 1:
            fade = end - self.windows[i + 1][0]
            weight[end - start - fade :] *= 1.0 - _fade_in(fade)
        return weight


def overlap_add(pieces: list[np.ndarray], windows: list[Window], n_samples: int) -> np.ndarray:
    """Blend processed windows (shaped (..., >= end - start)), all at hand, into one
    (..., n_samples) signal (``OverlapAdd``)."""
    if len(pieces) != len(windows):
        raise ValueError("one piece per window is needed")
    blend = OverlapAdd(windows, n_samples, pieces[0].shape[:-1])
    for i, piece in enumerate(pieces):
        blend.add(i, piece)
    return blend.result()


def _fade_in(length: int) -> np.ndarray:
    # Raised cosine sampled at bin centres: fade_in + its mirror image == 1.
    return (np.sin(0.5 * np.pi * (np.arange(length) + 0.5) / max(length, 1)) ** 2).astype(np.float32)


def excerpts(audio: np.ndarray, sample_rate: int, total_s: float = 30.0, piece_s: float = 10.0) -> np.ndarray:
    """Mono ``audio`` itself when it lasts at most ``total_s``, else ``total_s // piece_s`` (at
    least one) pieces of ``piece_s`` spread evenly over it (first and last included when there
    are two or more), joined: what a job-level step (a backend's ``prepare``) learns from, at a
    bounded cost whatever the job's length."""
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio, got shape {audio.shape}")
    total, piece = int(total_s * sample_rate), int(min(piece_s, total_s) * sample_rate)
    if len(audio) <= total:
        return np.ascontiguousarray(audio, dtype=np.float32)
    starts = np.linspace(0, len(audio) - piece, max(1, total // piece)).astype(int)
    return np.concatenate([audio[a : a + piece] for a in starts]).astype(np.float32, copy=False)
