"""When a call sounds: a small network that scores each 50 ms whether the calls' estimate holds
the call itself (a bark, a meow, a bird's song, a moo) or the background rising above its floor.

Self-marking (``spans.self_marks``) ranks frames by the estimate's share of the mixture. Over a
song or a swelling street the background rises above the floor too, and that share alone marks
a chord or a passing lorry as the call. This network looked at the calls' estimate (its spectral
shape, its level against the mixture's per mel band, its share, the frame's loudness, over
±3 frames) in the training bank's calls over generated songs, crowds, streets, talkers and wind,
and learnt which frames hold the call (``training/make_presence.py``). Pure numpy here: two
layers, 37 k weights (150 kB), ``data/presence-calls.npz``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from audiolasso_dsp.spans import mel_bank
from audiolasso_dsp.spectral import stft

FRAME_S = 0.05  # the self-marks' frame
N_FFT = 4096
CONTEXT = 3  # frames either side
DATA = Path(__file__).parent / "data"


def features(estimate: np.ndarray, mixture: np.ndarray, sr: int) -> np.ndarray:
    """(frames, 2 * mels + 2): the estimate's log-mel shape, its log-mel level less the mixture's,
    its log share of the energy, and the mixture's loudness against its loudest frame."""
    est, est_energy = _log_mels(estimate[: len(mixture)], sr)
    mix, mix_energy = _log_mels(mixture, sr)
    share = np.log((est_energy + 1e-12) / (mix_energy + 1e-12))
    loudness = np.log(mix_energy + 1e-12)
    columns = [est - est.mean(0, keepdims=True), est - mix, share[None], (loudness - loudness.max())[None]]
    return np.concatenate(columns, 0).T.astype(np.float32)


def in_context(frames: np.ndarray) -> np.ndarray:
    """Each frame's features beside those of the ``CONTEXT`` frames either side (edges repeated)."""
    padded = np.pad(frames, ((CONTEXT, CONTEXT), (0, 0)), mode="edge")
    return np.concatenate([padded[i : i + len(frames)] for i in range(2 * CONTEXT + 1)], 1)


def score(estimate: np.ndarray, mixture: np.ndarray, sr: int, detector: str) -> np.ndarray:
    """Per self-mark frame of ``mixture`` (``len(mixture) // hop``), how surely the sound sounds (a logit)."""
    logits = forward(load(detector), in_context(features(estimate, mixture, sr)))
    return logits[: len(mixture) // int(sr * FRAME_S)]


def forward(weights: dict[str, np.ndarray], frames: np.ndarray) -> np.ndarray:
    """The network's logit for each row of ``frames`` (features in context)."""
    hidden = np.maximum(((frames - weights["mean"]) / weights["std"]) @ weights["w1"] + weights["b1"], 0.0)
    return hidden @ weights["w2"] + weights["b2"]


@functools.cache
def load(detector: str) -> dict[str, np.ndarray]:
    with np.load(DATA / f"presence-{detector}.npz") as stored:
        return {name: stored[name].astype(np.float32) for name in stored.files}


def frame_power(x: np.ndarray, sr: int) -> np.ndarray:
    """The power spectrum of each ``FRAME_S`` frame of ``x`` (bins, frames)."""
    return np.abs(stft(x, N_FFT, int(sr * FRAME_S))) ** 2


def _log_mels(x: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    power = frame_power(x, sr)
    return np.log(mel_bank(power.shape[0], sr).T @ power + 1e-10), power.sum(0)
