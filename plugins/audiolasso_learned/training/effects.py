"""Mixing-time effects for training stems: EQ, reverb, distortion, pitch/tempo change, compression.

Every function is pure numpy/scipy on mono float32 and draws its parameters from the given generator.
An effect on a stem is part of that stem: the target is the processed sound, as in a produced recording.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

from audiolasso_learned import SAMPLE_RATE

# playback-rate changes as small rational ratios (cheap polyphase resampling): about +-1.1 semitones
RATES = ((16, 15), (15, 16), (17, 16), (16, 17), (18, 17), (17, 18), (20, 19), (19, 20), (25, 24), (24, 25))
IRS = 48  # rooms drawn once per process (seeded), then reused


def _grid(f: float) -> float:
    """Frequencies on a 1/12-octave grid, so filter designs can be cached."""
    return float(2 ** (round(np.log2(f) * 12) / 12))


@functools.lru_cache(maxsize=4096)
def _design(kind: str, freq: tuple[float, ...], order: int) -> np.ndarray:
    return signal.butter(order, freq if len(freq) > 1 else freq[0], kind, fs=SAMPLE_RATE, output="sos")


def _sos(kind: str, freq, order: int = 2) -> np.ndarray:
    freq = tuple(_grid(f) for f in np.atleast_1d(freq))
    return _design(kind, freq, order)


def eq(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Random high-pass, low-pass and a peaking boost/cut (band-pass added or subtracted)."""
    y = x
    if rng.random() < 0.35:
        y = signal.sosfilt(_sos("highpass", float(rng.uniform(30, 400))), y)
    if rng.random() < 0.35:
        y = signal.sosfilt(_sos("lowpass", float(rng.uniform(2500, 16000))), y)
    for _ in range(int(rng.integers(0, 3))):
        f = float(np.exp(rng.uniform(np.log(100), np.log(8000))))
        band = signal.sosfilt(_sos("bandpass", [f / 1.5, min(f * 1.5, SAMPLE_RATE * 0.45)], 1), y)
        y = y + float(rng.uniform(-0.6, 1.5)) * band
    return np.asarray(y, np.float32)


def room_ir(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """A synthetic room: direct path + exponentially decaying, low-passed noise tail."""
    n = int(rt60 * 1.1 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
    tail = signal.sosfilt(_sos("lowpass", float(rng.uniform(3000, 10000))), tail)
    tail[: int(rng.uniform(0.002, 0.02) * SAMPLE_RATE)] = 0.0
    ir = tail / (np.sqrt(np.sum(tail**2)) + 1e-12) * float(rng.uniform(0.3, 1.0))
    ir[0] += 1.0
    return ir.astype(np.float32)


@functools.lru_cache(maxsize=IRS)
def _room(index: int) -> np.ndarray:
    rng = np.random.default_rng([4242, index])
    return room_ir(rng, float(rng.uniform(0.15, 0.9)))


def reverb(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    ir = _room(int(rng.integers(IRS)))
    return signal.oaconvolve(x, ir)[: len(x)].astype(np.float32)


def distortion(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Soft clipping (tanh) or asymmetric overdrive, then a tone low-pass."""
    peak = float(np.abs(x).max()) + 1e-9
    drive = float(rng.uniform(1.5, 10.0))
    y = np.tanh(drive * x / peak + float(rng.uniform(0, 0.3)))
    y = y - y.mean()
    y = signal.sosfilt(_sos("lowpass", float(rng.uniform(3000, 9000))), y)
    return (y * peak).astype(np.float32)


def compress(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """A mild feed-forward compressor (2:1-4:1 over a threshold 6-20 dB under the peak)."""
    env = signal.lfilter([0.003], [1, -0.997], np.abs(x))
    thr = float(env.max()) * 10 ** (-float(rng.uniform(6, 20)) / 20) + 1e-9
    ratio = float(rng.uniform(2, 4))
    gain = np.where(env > thr, (np.maximum(env, thr) / thr) ** (1 / ratio - 1), 1.0)
    return (x * gain).astype(np.float32)


def rate_change(rng: np.random.Generator) -> tuple[int, int]:
    """(up, down): playing ``m`` samples as ``m * up / down`` changes pitch and tempo together."""
    return RATES[int(rng.integers(len(RATES)))]


def source_length(n: int, rate: tuple[int, int]) -> int:
    """Samples to take so that ``resample(x, rate)`` yields at least ``n``."""
    up, down = rate
    return -(-n * down // up) + 1


def resample(x: np.ndarray, rate: tuple[int, int], n: int) -> np.ndarray:
    up, down = rate
    return signal.resample_poly(x, up, down)[:n].astype(np.float32)


def apply(rng: np.random.Generator, x: np.ndarray, family: str = "", strength: float = 1.0) -> np.ndarray:
    """A random chain of effects for one stem of ``family`` (``strength`` scales their probabilities)."""
    if rng.random() < 0.5 * strength:
        x = eq(rng, x)
    if rng.random() < (0.45 if family == "guitar" else 0.08) * strength:
        x = distortion(rng, x)
    if rng.random() < 0.25 * strength:
        x = compress(rng, x)
    if rng.random() < 0.3 * strength:
        x = reverb(rng, x)
    return x
