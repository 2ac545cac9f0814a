"""Deterministic test mixtures built from the committed recordings and numpy.

Every function returns float32 mono signals of equal length and the sample
rate; the mixture is exactly the sum of its parts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from serve_app.audio.resample import resample
from support import TESTS

AUDIO_DIR = TESTS / "fixtures" / "audio"


def load_audio(path: Path, sr: int) -> np.ndarray:
    """A mono recording resampled to ``sr``."""
    x, file_sr = sf.read(path, dtype="float32")
    return resample(x, file_sr, sr)


def load_fixture(name: str, sr: int) -> np.ndarray:
    """A committed test recording (``tests/fixtures/audio``) resampled to ``sr``."""
    return load_audio(AUDIO_DIR / name, sr)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise shaped to a 1/f power spectrum, unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum))
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    x = np.fft.irfft(spectrum, n)
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def mix_at_snr(target: np.ndarray, interference: np.ndarray, snr_db: float) -> np.ndarray:
    """Scale ``interference`` so target power / interference power is ``snr_db``."""
    gain = np.sqrt(np.mean(target**2) / (np.mean(interference**2) * 10 ** (snr_db / 10)))
    return (interference * gain).astype(np.float32)


def speech_plus_noise(
    snr_db: float, seed: int, noise: Literal["pink", "babble"] = "pink", sr: int = 48000
) -> tuple[np.ndarray, np.ndarray, int]:
    """(mixture, clean speech, sr): the speech fixture over pink noise or a crowd of talkers."""
    clean = load_fixture("speech.flac", sr)
    rng = np.random.default_rng(seed)
    if noise == "pink":
        interference = pink_noise(len(clean), rng)
    else:
        babble = load_fixture("babble.flac", sr)
        interference = np.roll(np.resize(babble, len(clean)), rng.integers(len(babble)))
    interference = mix_at_snr(clean, interference, snr_db)
    return clean + interference, clean, sr


def drum_loop(seconds: float, sr: int, rng: np.random.Generator, bpm: float = 110.0) -> np.ndarray:
    """Kicks on beats 1 and 3, snares on 2 and 4, hi-hats on every eighth note."""
    n = int(seconds * sr)
    out = np.zeros(n, dtype=np.float64)
    eighth = 60.0 / bpm / 2

    def hit(at: float, sound: np.ndarray) -> None:
        start = int(at * sr)
        end = min(n, start + len(sound))
        out[start:end] += sound[: end - start] * rng.uniform(0.8, 1.0)

    t = np.arange(int(0.4 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 * t + 70 / 25 * (1 - np.exp(-25 * t)))) * np.exp(-t / 0.12)
    for step in range(int(seconds / eighth)):
        at = step * eighth
        snare = rng.standard_normal(len(t)) * np.exp(-t / 0.08) * 0.5
        hat = np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-t / 0.02) * 0.15
        if step % 4 == 0:
            hit(at, kick)
        if step % 4 == 2:
            hit(at, snare + 0.3 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05))
        hit(at, hat)
    return out.astype(np.float32)


def chord_pad(seconds: float, sr: int, rng: np.random.Generator, chord_s: float = 1.5) -> np.ndarray:
    """Sustained three-note chords with a few harmonics each, smooth attack and release."""
    n = int(seconds * sr)
    out = np.zeros(n, dtype=np.float64)
    roots = [57, 53, 60, 55]  # MIDI notes: A3, F3, C4, G3
    seg = int(chord_s * sr)
    t = np.arange(seg) / sr
    envelope = np.minimum(1.0, np.minimum(t / 0.05, (chord_s - t) / 0.1))
    for i, start in enumerate(range(0, n, seg)):
        root = roots[i % len(roots)]
        chord = np.zeros(seg)
        for interval in (0, 4, 7):
            f0 = 440.0 * 2 ** ((root + interval - 69) / 12)
            phase = rng.uniform(0, 2 * np.pi)
            for k in range(1, 5):
                chord += np.sin(2 * np.pi * k * f0 * t + phase * k) / k
        end = min(n, start + seg)
        out[start:end] += (chord * envelope)[: end - start]
    return out.astype(np.float32)


def drums_plus_tones(
    seed: int, seconds: float = 6.0, sr: int = 48000, drums_to_tones_db: float = 0.0
) -> tuple[np.ndarray, np.ndarray, int]:
    """(mixture, drums, sr): a synthetic drum loop over sustained harmonic chords."""
    rng = np.random.default_rng(seed)
    drums = drum_loop(seconds, sr, rng)
    tones = mix_at_snr(drums, chord_pad(seconds, sr, rng), drums_to_tones_db)
    peak = np.max(np.abs(drums + tones))
    drums, tones = drums * (0.9 / peak), tones * (0.9 / peak)
    return drums + tones, drums, sr


def wav_bytes(audio: np.ndarray, sr: int, subtype: str = "PCM_16") -> bytes:
    """A WAV file's bytes, for uploads."""
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format="WAV", subtype=subtype)
    return buf.getvalue()
