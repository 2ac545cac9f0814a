"""One melodic line's harmonics: pitch tracking and a comb mask (numpy, pure functions).

A wind instrument or a solo string plays one note at a time, and its partials sit at whole
multiples of one pitch. The network knows the instrument by its timbre but leaks the band into
its estimate; the estimate's pitch, tracked frame by frame, tells where the instrument's partials
are, and a comb on those partials takes them from the mixture and little else. Where a single
line does not explain the estimate (chords, a string section), the estimate stays as it was.
"""

from __future__ import annotations

import functools

import numpy as np

from serve_app.audio import stft as transform

N_FFT = 4096  # 93 ms at 44.1 kHz: partials 10.8 Hz apart are resolved
HOP = 512
F0_RANGE_HZ = (60.0, 1600.0)  # a trombone's pedal B-flat (58 Hz) to G6, high for a flute or a violin
STEPS_PER_SEMITONE = 5
SALIENCE_HARMONICS = 10
SALIENCE_TOP_HZ = 5000.0
SUBOCTAVE_PENALTY = 0.7  # energy halfway between partials argues against a pitch (and for its octave)
JUMP_PER_SEMITONE = 0.35  # Viterbi cost (log salience) of a pitch change of one semitone
VOICED = 0.2  # a frame carries the line where its salience passes this share of the 95th percentile
COMB_SIGMA_HZ = 20.0
COMB_TOP_HZ = 10_000.0
# The comb replaces the estimate only where it holds this share of the estimate's energy: on tune
# and dev, one-line instruments 0.60-0.67, chords and string pads 0.28-0.52; on tune-instruments,
# drawn later, woodwinds 0.90, string pads 0.44-0.49 and FM brass 0.51-0.58 (left as they were,
# where the comb would have gained: no threshold parts those from the pads; docs/learned.md).
ONE_LINE = 0.6


def candidates() -> np.ndarray:
    """Candidate pitches (Hz), log-spaced a fifth of a semitone apart over ``F0_RANGE_HZ``."""
    low, high = F0_RANGE_HZ
    steps = int(np.floor(12 * STEPS_PER_SEMITONE * np.log2(high / low))) + 1
    return low * 2 ** (np.arange(steps) / (12 * STEPS_PER_SEMITONE))


def _partials(f0s: np.ndarray, n_bins: int, sr: int, offset: float) -> np.ndarray:
    """(pitches, bins) weights that sum a spectrum at each pitch's partials below
    ``SALIENCE_TOP_HZ`` (shifted by ``offset`` partials: 0.5 reads between them), 1/sqrt(h) for
    the h-th, linear between bins."""
    h = np.arange(1, SALIENCE_HARMONICS + 1)
    freqs = (h[None, :] - offset) * f0s[:, None]
    weight = np.where(freqs <= SALIENCE_TOP_HZ, 1.0 / np.sqrt(h)[None, :], 0.0)
    position = np.minimum(freqs, SALIENCE_TOP_HZ) * N_FFT / sr
    low = np.floor(position).astype(int)
    frac = position - low
    rows = np.repeat(np.arange(len(f0s)), len(h))
    out = np.zeros((len(f0s), n_bins), np.float32)
    np.add.at(out, (rows, low.ravel()), (weight * (1 - frac)).ravel())
    np.add.at(out, (rows, low.ravel() + 1), (weight * frac).ravel())
    return out


@functools.cache
def _salience_weights(sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pitches, and the (pitches, bins) weights whose product with a compressed
    spectrum (up to ``SALIENCE_TOP_HZ``) is their salience."""
    f0s = candidates()
    bins = int(SALIENCE_TOP_HZ * N_FFT / sr) + 2
    on, between = (_partials(f0s, bins, sr, offset) for offset in (0.0, 0.5))
    # A mean over the partials, not a sum: a low note has more partials below the top, and a
    # sum followed a piano's low line in a flute's estimate (the suite's flute over a piano melody:
    # 2.78 -> 1.05 dB with the sum, 2.80 with the mean; tune and dev gained 24 and 32 dB in all).
    return f0s, (on - SUBOCTAVE_PENALTY * between) / on.sum(1, keepdims=True)


def salience(magnitude: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate pitch's harmonic salience per frame of ``magnitude`` (bins, frames)."""
    f0s, weights = _salience_weights(sr)
    return f0s, np.maximum(weights @ np.sqrt(magnitude[: weights.shape[1]]), 0.0)


def track(magnitude: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The most salient smooth pitch line (Viterbi over candidates): pitch (Hz) and salience per frame."""
    f0s, sal = salience(magnitude, sr)
    score = np.log(sal / (sal.max(0, keepdims=True) + 1e-9) + 1e-3)
    semitones = np.arange(len(f0s)) / STEPS_PER_SEMITONE
    step = -JUMP_PER_SEMITONE * np.abs(semitones[:, None] - semitones[None, :])
    best = score[:, 0].copy()
    came_from = np.zeros(sal.shape, np.int32)
    rows = np.arange(len(f0s))
    for t in range(1, sal.shape[1]):
        moves = best[None, :] + step
        came_from[:, t] = moves.argmax(1)
        best = moves[rows, came_from[:, t]] + score[:, t]
    path = np.zeros(sal.shape[1], np.int32)
    path[-1] = best.argmax()
    for t in range(sal.shape[1] - 1, 0, -1):
        path[t - 1] = came_from[path[t], t]
    return f0s[path], sal[path, np.arange(sal.shape[1])]


def comb(f0: np.ndarray, voiced: np.ndarray, n_bins: int, sr: int) -> np.ndarray:
    """(bins, frames) mask: a Gaussian around every partial of each voiced frame's pitch."""
    freqs = (np.arange(n_bins) * sr / N_FFT)[:, None]
    nearest = np.maximum(np.round(freqs / f0[None, :]), 1.0) * f0[None, :]
    mask = np.exp(-0.5 * ((freqs - nearest) / COMB_SIGMA_HZ) ** 2) * (freqs <= COMB_TOP_HZ) * voiced[None, :]
    return mask.astype(np.float32)


def refine(mixture: np.ndarray, estimate: np.ndarray, sr: int) -> np.ndarray:
    """The partials of ``estimate``'s pitch line, taken from ``mixture``; ``estimate`` itself
    where one line does not explain it (less than ``ONE_LINE`` of its energy)."""
    spec = transform.stft(mixture, N_FFT, HOP, pad_mode="constant")
    magnitude = np.abs(transform.stft(estimate, N_FFT, HOP, pad_mode="constant"))
    f0, sal = track(magnitude, sr)
    voiced = sal > VOICED * np.percentile(sal, 95)
    mask = comb(f0, voiced, spec.shape[0], sr)
    energy = float((magnitude**2).sum())
    if energy <= 0.0 or float(((mask * magnitude) ** 2).sum()) < ONE_LINE * energy:
        return estimate
    return transform.istft(spec * mask, N_FFT, HOP, len(mixture)).astype(estimate.dtype)
