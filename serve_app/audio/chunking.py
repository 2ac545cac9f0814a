"""Cut long audio into fixed overlapping windows and blend the processed pieces back.

Fixed-size windows let chunks of different jobs share one batch; the overlap
is crossfaded so window edges do not click.
"""

from __future__ import annotations

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


def overlap_add(pieces: list[np.ndarray], windows: list[Window], n_samples: int) -> np.ndarray:
    """Blend processed windows (shaped (..., >= end - start)) into one (..., n_samples) signal.

    Pieces may be longer than their window (padded for batching); the excess is
    dropped. Overlaps get complementary raised-cosine fades, and the result is
    divided by the summed weights so it is exact even where rounding leaves
    the sum a hair off 1: identity processing returns the input.
    """
    if len(pieces) != len(windows):
        raise ValueError("one piece per window is needed")
    lead = pieces[0].shape[:-1]
    # float32 throughout: at most two pieces overlap, and a 10 min stereo job's buffers halve.
    out = np.zeros((*lead, n_samples), dtype=np.float32)
    total = np.zeros(n_samples, dtype=np.float32)
    for i, (piece, (start, end)) in enumerate(zip(pieces, windows, strict=True)):
        if piece.shape[-1] < end - start:
            raise ValueError(f"piece {i} is shorter than its window")
        weight = np.ones(end - start, dtype=np.float32)
        if i > 0:
            fade = windows[i - 1][1] - start
            weight[:fade] *= _fade_in(fade)
        if i < len(windows) - 1:
            fade = end - windows[i + 1][0]
            weight[end - start - fade :] *= 1.0 - _fade_in(fade)
        out[..., start:end] += piece[..., : end - start] * weight
        total[start:end] += weight
    if not (total > 0).all():
        raise ValueError("the windows do not cover the whole signal")
    out /= total
    return out


def _fade_in(length: int) -> np.ndarray:
    # Raised cosine sampled at bin centres: fade_in + its mirror image == 1.
    return (np.sin(0.5 * np.pi * (np.arange(length) + 0.5) / max(length, 1)) ** 2).astype(np.float32)
