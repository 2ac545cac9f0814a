"""One instrument out of a band with per-instrument NMF dictionaries.

Every instrument family has a handful of spectral bases learnt from rendered
notes (``training/make_dictionaries.py``). A mixture's spectrogram is
explained by all families' bases at once (supervised NMF); the target
family's share of each time-frequency bin becomes a soft mask. Bases cover
0-8 kHz, where instruments differ most and NMF is cheap; above that the
target gets its share of each frame's 4-8 kHz energy.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from audiolasso_dsp import nmf
from audiolasso_dsp.spectral import EPS, masked, soft_mask, stft

SAMPLE_RATE = 48000
N_FFT = 4096  # 85 ms: resolves the partials of low notes
HOP = 1024
TOP_HZ = 8000.0
BINS = int(TOP_HZ * N_FFT / SAMPLE_RATE) + 1
# Multiplicative updates from a flat start; stopping early regularises. Chosen on tune
# (2026-12-05: dsp's music cases, with / without spans, 50 -> 25 iterations: -1.21 / -5.66 ->
# -0.74 / -5.13 dB, the piano and woodwinds cases within 0.3 dB; fewer still gained more on
# the failing brass case and lost on those), in half the NMF's time: docs/learned.md, bench/README 4.
ITERATIONS = 25
DICTIONARY_PATH = Path(__file__).parent / "data" / "instruments.npz"


@functools.cache
def dictionaries() -> dict[str, np.ndarray]:
    with np.load(DICTIONARY_PATH) as data:
        return {name: data[name].astype(np.float32) for name in data.files}


def separate(x: np.ndarray, sr: int, family: str) -> np.ndarray:
    """The part of mono ``x`` (at ``SAMPLE_RATE``) played by instrument ``family``."""
    if sr != SAMPLE_RATE:
        raise ValueError(f"instrument dictionaries are for {SAMPLE_RATE} Hz audio, got {sr}")
    bases = dictionaries()
    if family not in bases:
        raise KeyError(f"no dictionary for {family!r}; have {sorted(bases)}")
    spec = stft(x, N_FFT, HOP)
    V = np.abs(spec[:BINS])
    names = sorted(bases)
    W = np.concatenate([bases[n] for n in names], 1)
    H = nmf.activations(V, W, ITERATIONS)
    start = sum(bases[n].shape[1] for n in names[: names.index(family)])
    stop = start + bases[family].shape[1]
    target = W[:, start:stop] @ H[start:stop]
    mask_low = soft_mask(target, np.maximum(W @ H - target, 0))
    # Above the dictionaries' range: the target's share of the top band, per frame.
    top = slice(BINS // 2, BINS)
    share = np.clip(target[top].sum(0) / ((W @ H)[top].sum(0) + EPS), 0, 1)
    mask = np.concatenate([mask_low, np.broadcast_to(share, (spec.shape[0] - BINS, len(share)))], 0)
    return masked(x, spec, mask, N_FFT, HOP)
