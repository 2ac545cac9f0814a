"""Small signal helpers shared by every renderer: decoding, resampling, levels, fades, a synthetic room.

Every function takes and returns mono ``float32`` numpy arrays (or float64 where noted) and is pure:
no global state, randomness only through an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SR = 44100  # the corpus rate


def to_mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x.mean(axis=1).astype(np.float32) if x.ndim == 2 else x


def resample(x: np.ndarray, rate_in: int, rate_out: int = SR) -> np.ndarray:
    """Polyphase resampling (scipy ``resample_poly``) from ``rate_in`` to ``rate_out``."""
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float32)
    g = gcd(int(rate_in), int(rate_out))
    return signal.resample_poly(np.asarray(x, dtype=np.float64), rate_out // g, rate_in // g).astype(np.float32)


def decode_bytes(data: bytes, rate: int = SR, fmt: str | None = None) -> np.ndarray:
    """Decode an audio file held in memory (wav/flac/ogg with libsndfile, anything else with ffmpeg),
    downmix to mono and resample to ``rate``. ``fmt`` forces an ffmpeg input format (e.g. ``"g722"``)."""
    if fmt is None:
        try:
            x, r = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
            return resample(to_mono(x), r, rate)
        except (RuntimeError, sf.LibsndfileError):
            pass
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.bin", Path(tmp) / "out.wav"
        src.write_bytes(data)
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
        if fmt:
            cmd += ["-f", fmt]
        cmd += ["-i", str(src), "-ac", "1", "-ar", str(rate), "-c:a", "pcm_f32le", str(dst)]
        subprocess.run(cmd, check=True, capture_output=True)
        x, _ = sf.read(dst, dtype="float32", always_2d=True)
    return to_mono(x)


def load_file(path: str | Path, rate: int = SR, fmt: str | None = None) -> np.ndarray:
    return decode_bytes(Path(path).read_bytes(), rate, fmt)


def fit(x: np.ndarray, n: int) -> np.ndarray:
    """Zero-pad or cut to exactly ``n`` samples."""
    x = np.asarray(x, dtype=np.float32)
    return np.pad(x, (0, max(0, n - len(x))))[:n]


def place(x: np.ndarray, n: int, at: int) -> np.ndarray:
    """``x`` starting at sample ``at`` of an ``n``-sample silence (parts beyond the end are dropped)."""
    out = np.zeros(n, np.float32)
    if at >= n:
        return out
    seg = x[: max(0, n - at)]
    out[at : at + len(seg)] = seg
    return out


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x**2) + 1e-20))


def active_rms(x: np.ndarray, rate: int = SR, frame_s: float = 0.02, floor_db: float = -40.0) -> float:
    """RMS over the frames within ``floor_db`` of the loudest frame (the level of a sound where it sounds)."""
    x = np.asarray(x, dtype=np.float64)
    hop = max(1, int(frame_s * rate))
    frames = len(x) // hop
    if frames == 0:
        return rms(x)
    e = (x[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1)
    keep = e > e.max() * 10 ** (floor_db / 10)
    return float(np.sqrt(e[keep].mean() + 1e-20))


def normalise(x: np.ndarray, level: float = 0.1) -> np.ndarray:
    """Scale to RMS ``level`` (silence stays silence)."""
    r = rms(x)
    return (np.asarray(x) * (level / r if r > 1e-9 else 0.0)).astype(np.float32)


def trim_silence(x: np.ndarray, rate: int = SR, floor_db: float = -45.0, pad_s: float = 0.01) -> np.ndarray:
    """Cut leading and trailing stretches quieter than ``floor_db`` re. the peak."""
    a = np.abs(x)
    if a.max() <= 0:
        return x[:0]
    idx = np.flatnonzero(a > a.max() * 10 ** (floor_db / 20))
    pad = int(pad_s * rate)
    return x[max(0, idx[0] - pad) : idx[-1] + pad + 1]


def fade(x: np.ndarray, fade_in_s: float = 0.005, fade_out_s: float = 0.02, rate: int = SR) -> np.ndarray:
    x = np.array(x, dtype=np.float32)
    a, b = min(len(x), int(fade_in_s * rate)), min(len(x), int(fade_out_s * rate))
    if a:
        x[:a] *= np.linspace(0, 1, a, dtype=np.float32)
    if b:
        x[len(x) - b :] *= np.linspace(1, 0, b, dtype=np.float32)
    return x


def lowpass(x: np.ndarray, cutoff: float, rate: int = SR, order: int = 4) -> np.ndarray:
    sos = signal.butter(order, cutoff, "lowpass", fs=rate, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def highpass(x: np.ndarray, cutoff: float, rate: int = SR, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, cutoff, "highpass", fs=rate, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def bandpass(x: np.ndarray, low: float, high: float, rate: int = SR, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, [low, min(high, rate / 2 * 0.98)], "bandpass", fs=rate, output="sos")
    return signal.sosfilt(sos, x).astype(np.float32)


def room_ir(rng: np.random.Generator, rt60: float, rate: int = SR, direct: float = 1.0) -> np.ndarray:
    """A synthetic room impulse response: direct path + exponentially decaying, slightly low-passed noise."""
    n = int(rt60 * 1.2 * rate)
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
    tail = lowpass(tail, float(rng.uniform(4000, 9000)), rate, 2)
    tail[: int(0.004 * rate)] = 0.0  # pre-delay of the first reflections
    ir = tail / (np.sqrt(np.sum(tail**2)) + 1e-12) * float(rng.uniform(0.5, 0.9))
    ir[0] += direct
    return ir.astype(np.float32)


def reverb(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Convolve, keeping the input length (the tail past the end is dropped)."""
    return signal.fftconvolve(x, ir)[: len(x)].astype(np.float32)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of every run of True in a boolean ``mask``, stop exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def activity(x: np.ndarray, rate: int = SR, frame_s: float = 0.01, rel_db: float = -35.0) -> np.ndarray:
    """Per-frame booleans: frame energy within ``rel_db`` of the loudest frame."""
    hop = max(1, int(frame_s * rate))
    frames = int(np.ceil(len(x) / hop))
    xp = np.pad(np.asarray(x, np.float64), (0, frames * hop - len(x)))
    e = (xp.reshape(frames, hop) ** 2).mean(axis=1)
    return e > e.max() * 10 ** (rel_db / 10) if e.max() > 0 else np.zeros(frames, bool)
