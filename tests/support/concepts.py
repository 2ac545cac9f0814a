"""Test mixtures for each sound family the dsp backend separates, built from
numpy and the committed recordings. Each returns (mixture, reference, sr) as
float32 mono at 48 kHz, with mixture = reference + the rest exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal

from serve_app.audio.resample import resample
from support.audio import chord_pad, drum_loop, load_fixture, mix_at_snr, pink_noise

SR = 48000


def _pair(target: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    n = min(len(target), len(rest))
    target, rest = target[:n], rest[:n]
    peak = np.max(np.abs(target + rest)) / 0.9
    return ((target + rest) / peak).astype(np.float32), (target / peak).astype(np.float32), SR


def bass_line(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Plucked low notes (E1-A2) with a few decaying harmonics, one every half second."""
    n, step = int(seconds * SR), int(0.5 * SR)
    t = np.arange(step) / SR
    out = np.zeros(n)
    for start in range(0, n - step + 1, step):
        f0 = 440.0 * 2 ** ((rng.choice([28, 31, 33, 36, 38, 40, 43, 45]) - 69) / 12)
        note = sum(np.sin(2 * np.pi * k * f0 * t) / k**1.5 for k in range(1, 6))
        out[start : start + step] = note * np.exp(-t / 0.35) * np.minimum(1, t / 0.005)
    return out.astype(np.float32)


def bass_in_band(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    bass = bass_line(6.0, rng)
    band = mix_at_snr(bass, chord_pad(6.0, SR, rng) + 0.5 * drum_loop(6.0, SR, rng), 0.0)
    return _pair(bass, band)


def piano_in_band(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The committed piano phrase (rendered with another sound font than the dictionaries')
    over a bass line and drums."""
    rng = np.random.default_rng(seed)
    piano = load_fixture("piano.flac", SR)
    seconds = len(piano) / SR
    band = mix_at_snr(piano, bass_line(seconds, rng), 0.0) + mix_at_snr(piano, drum_loop(seconds, SR, rng), 0.0)
    return _pair(piano, band)


def piano_then_flute() -> tuple[np.ndarray, np.ndarray, int, list[dict]]:
    """The piano phrase (0-4 s) and the flute phrase (2.5-6.5 s), equally loud; spans mark a
    piano-only and a flute-only stretch. Returns (mixture, piano, sr, spans)."""
    piano, flute = load_fixture("piano.flac", SR), load_fixture("flute.flac", SR)
    shift = int(2.5 * SR)
    a = np.concatenate([piano, np.zeros(shift, np.float32)])
    b = np.concatenate([np.zeros(shift, np.float32), mix_at_snr(piano, flute, 0.0)])
    spans = [{"start": 0.2, "end": 2.3, "include": True}, {"start": 4.2, "end": 6.3, "include": False}]
    mixture, reference, sr = _pair(a, b)
    return mixture, reference, sr, spans


def ring_tone(seconds: float) -> np.ndarray:
    """A phone ring: 440 + 480 Hz, 0.4 s on, 0.2 s off, twice, then a pause; repeated."""
    t = np.arange(int(seconds * SR)) / SR
    cycle = t % 2.0
    on = (cycle < 0.4) | ((cycle >= 0.6) & (cycle < 1.0))
    return (0.5 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) * on).astype(np.float32)


def phone_over_speech() -> tuple[np.ndarray, np.ndarray, int]:
    speech = load_fixture("speech.flac", SR)
    ring = ring_tone(len(speech) / SR)
    return _pair(mix_at_snr(speech, ring, 0.0), speech)


def knocks(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Three quick knocks every 1.5 s: noise bursts through a wooden-door-like band (150-2500 Hz)."""
    n = int(seconds * SR)
    t = np.arange(int(0.1 * SR)) / SR
    band = signal.butter(2, [150, 2500], btype="bandpass", fs=SR, output="sos")
    out = np.zeros(n)
    for group in np.arange(0.3, seconds - 0.6, 1.5):
        for k in range(3):
            start = int((group + 0.18 * k) * SR)
            out[start : start + len(t)] += signal.sosfilt(band, rng.standard_normal(len(t))) * np.exp(-t / 0.015)
    return out.astype(np.float32)


def knocks_over_babble(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    babble = load_fixture("babble.flac", SR)
    hits = knocks(len(babble) / SR, np.random.default_rng(seed))
    return _pair(mix_at_snr(babble, hits, 3.0), babble)


def chirps(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Bird-like calls: short downward frequency sweeps around 3-5 kHz, a few per second."""
    n = int(seconds * SR)
    out = np.zeros(n)
    t = np.arange(int(0.08 * SR)) / SR
    for at in np.sort(rng.uniform(0, seconds - 0.1, int(3 * seconds))):
        f = rng.uniform(3500, 5000) - 15000 * t
        call = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.sin(np.pi * t / t[-1]) ** 2
        out[int(at * SR) : int(at * SR) + len(t)] += call
    return out.astype(np.float32)


def birds_over_noise(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    birds = chirps(5.0, rng)
    return _pair(birds, mix_at_snr(birds, pink_noise(len(birds), rng), 0.0))


def birds_over_babble(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Bird calls now and then over a babble of voices, which has peaks of its own."""
    babble = load_fixture("babble.flac", SR)
    birds = chirps(len(babble) / SR, np.random.default_rng(seed))
    return _pair(birds, mix_at_snr(birds, babble, 0.0))


def _now_and_then(
    seconds: float,
    rng: np.random.Generator,
    first: tuple[float, float],
    gap: tuple[float, float],
    burst: Callable[[np.random.Generator], np.ndarray],
    burst_s: float,
) -> np.ndarray:
    """``burst(rng)``s (at most ``burst_s`` long) from a start drawn in ``first``, drawn ``gap`` s apart."""
    out = np.zeros(int(seconds * SR))
    at = rng.uniform(*first)
    while at + burst_s < seconds:
        sound = burst(rng)
        out[int(at * SR) : int(at * SR) + len(sound)] += sound
        at += rng.uniform(*gap)
    return out.astype(np.float32)


def hoots(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Owl-like hoots: 0.5 s tones around 400 Hz with a few harmonics, one every 1.5 to 2.5 s."""
    t = np.arange(int(0.5 * SR)) / SR

    def hoot(rng: np.random.Generator) -> np.ndarray:
        f0 = rng.uniform(350, 450) * (1 - 0.1 * t)  # a slight fall
        phase = 2 * np.pi * np.cumsum(f0) / SR
        return sum(np.sin(k * phase) / k**2 for k in range(1, 5)) * np.sin(np.pi * t / t[-1])

    return _now_and_then(seconds, rng, (0.2, 0.8), (1.5, 2.5), hoot, 0.5)


def hoots_over_speech(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """An owl now and then while a person talks: the talker is what rises above the floor most."""
    speech = load_fixture("speech.flac", SR)
    owl = hoots(len(speech) / SR, np.random.default_rng(seed))
    return _pair(owl, mix_at_snr(owl, speech, 0.0))


def car_pass(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A car driving past once: an engine's harmonics (about 30 Hz firing) and tyre noise that swell
    and fade over about 3 s, the pitch falling as it passes (Doppler)."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    centre = rng.uniform(0.45, 0.55) * seconds
    envelope = 1 / (1 + ((t - centre) / 0.5) ** 2)  # closest approach at ``centre``
    f0 = rng.uniform(28, 34) * (1 - 0.06 * np.tanh((t - centre) / 0.4))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    engine = sum(np.sin(k * phase + k) / k**0.7 for k in range(1, 40))
    sos = signal.butter(2, [300, 3000], btype="bandpass", fs=SR, output="sos")
    tyres = signal.sosfilt(sos, rng.standard_normal(n))
    car = envelope * (engine / np.std(engine) + 0.7 * tyres / np.std(tyres))
    return car.astype(np.float32)


def car_passing_a_talker(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A car driving past while a person talks: one vehicle, not the street's steady drone."""
    speech = load_fixture("speech.flac", SR)
    car = car_pass(len(speech) / SR, np.random.default_rng(seed))
    return _pair(car, mix_at_snr(car, speech, 0.0))


def laughs(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Bouts of laughter: "ha"s, 0.12 s voiced bursts five a second around 250 Hz (a breathy
    buzz through two formants), in bouts of four to seven, one every 2 to 3 s."""
    t = np.arange(int(0.12 * SR)) / SR
    formants = [signal.butter(2, band, btype="bandpass", fs=SR, output="sos") for band in ((600, 1000), (1100, 1700))]

    def bout(rng: np.random.Generator) -> np.ndarray:
        has = int(rng.integers(4, 8))
        out = np.zeros(int(0.2 * SR) * (has - 1) + len(t))
        for k in range(has):
            f0 = rng.uniform(230, 280) * (1 - 0.15 * t / t[-1])
            phase = 2 * np.pi * np.cumsum(f0) / SR
            buzz = sum(np.sin(h * phase) / h for h in range(1, 20)) + 0.3 * rng.standard_normal(len(t))
            ha = sum(signal.sosfilt(sos, buzz) for sos in formants) * np.sin(np.pi * t / t[-1]) ** 2
            out[int(0.2 * SR) * k : int(0.2 * SR) * k + len(t)] += ha
        return out

    return _now_and_then(seconds, rng, (0.3, 0.8), (2.0, 3.0), bout, 1.5)


def laughter_over_chords(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Someone laughing now and then over music: a human sound, neither speech nor an audience."""
    rng = np.random.default_rng(seed)
    laughter = laughs(6.0, rng)
    return _pair(laughter, mix_at_snr(laughter, chord_pad(6.0, SR, rng), 0.0))


def mains_hum(n: int, f0: float = 60.0) -> np.ndarray:
    t = np.arange(n) / SR
    return sum(np.sin(2 * np.pi * k * f0 * t + k) / k for k in range(1, 8)).astype(np.float32)


def chords_with_hum(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(mixture, the chords without the hum, sr)."""
    chords = chord_pad(5.0, SR, np.random.default_rng(seed))
    return _pair(chords, mix_at_snr(chords, mains_hum(len(chords)), 0.0))


def speech_over_chords(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(mixture, the chords, sr): a voice over an accompaniment; the reference is the accompaniment."""
    speech = load_fixture("speech.flac", SR)
    chords = mix_at_snr(speech, chord_pad(len(speech) / SR, SR, np.random.default_rng(seed)), 0.0)
    return _pair(chords, speech)


def speech_and_noise_over_chords(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(mixture, everything but the chords, the hum and hiss in it, sr): a voice with hum and
    hiss under it, over an accompaniment."""
    rng = np.random.default_rng(seed)
    speech = load_fixture("speech.flac", SR)
    room = mix_at_snr(speech, mains_hum(len(speech), 50.0) + 0.3 * pink_noise(len(speech), rng), 10.0)
    chords = mix_at_snr(speech, chord_pad(len(speech) / SR, SR, rng), 0.0)
    kept = speech + room
    mixture, reference, sr = _pair(kept, chords)
    scale = float(reference @ kept / (kept @ kept))  # _pair's peak normalisation
    return mixture, reference, (room * scale).astype(np.float32), sr


def two_talkers() -> tuple[np.ndarray, np.ndarray, int, list[dict]]:
    """Talker A (the fixture) and talker B (the fixture a fifth higher: shorter vocal tract,
    higher pitch) taking turns with overlaps; spans mark one A-only and one B-only stretch.
    Returns (mixture, A, sr, spans)."""
    speech = load_fixture("speech.flac", SR)
    higher = resample(speech, int(SR * 1.5), SR)  # played 1.5x faster: every frequency x1.5
    a = np.zeros(int(7.0 * SR), np.float32)
    b = np.zeros_like(a)
    a[: int(2.5 * SR)] = speech[: int(2.5 * SR)]
    a[int(4.5 * SR) : int(7.0 * SR)] = speech[int(2.5 * SR) : int(5.0 * SR)]
    b[int(2.2 * SR) : int(4.8 * SR)] = higher[: int(2.6 * SR)]
    spans = [{"start": 0.2, "end": 2.1, "include": True}, {"start": 2.6, "end": 4.4, "include": False}]
    mixture, reference, sr = _pair(a, mix_at_snr(a, b, 0.0))
    return mixture, reference, sr, spans
