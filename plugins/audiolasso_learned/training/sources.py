"""Render the source bank: labelled mono clips the mixtures are drawn from.

Every clip carries a catalog concept (``serve_app.understanding.catalog``):
- instruments: generated note streams rendered per GM program with fluidsynth
  (``audiolasso_dsp.training.synth``), program -> family as in the dsp dictionaries;
- speech: espeak-ng sentences in several voices, accents, speeds and pitches;
- noises (made here): babble of several voices, hiss (coloured noise), mains hum, wind, rain, traffic;
- events: recorded UI and phone sounds of Debian's sound themes (alarm), synthetic knocks and bird chirps.

Clips are deterministic in ``seed``; every ``VALIDATION_EVERY``-th clip of a concept is held out.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from audiolasso_dsp.training.make_dictionaries import FAMILIES
from audiolasso_dsp.training.synth import render
from audiolasso_learned.features import SAMPLE_RATE

SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2"))
CLIP_S = 10.0
VALIDATION_EVERY = 8

# Debian (apt-get install sound-theme-freedesktop yaru-theme-sound oxygen-sounds): short bells,
# rings, chimes and beeps. Licences (/usr/share/doc/PACKAGE/copyright): freedesktop CC-BY-3.0 /
# CC-BY-SA-3.0, Yaru sounds CC-BY-SA-4.0, Oxygen LGPL-3.0-or-later. The clips stay out of the repository.
THEME_DIRS = (Path("/usr/share/sounds/freedesktop/stereo"), Path("/usr/share/sounds/Yaru/stereo"), Path("/usr/share/sounds"))
# Spoken channel names are speech, not events; the incoming-call ring is in the dev corpus.
THEME_EXCLUDE = ("audio-channel", "audio-test-signal", "phone-incoming-call")

VOICES = (
    "en-us", "en-gb", "en-gb-x-rp", "en-us+m3", "en-us+f2", "en-gb+m5", "en-gb+f3", "en-us+m7", "en-us+f4",
    "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "de+f2", "fr+f1", "es+m2",
)
WORDS = (
    "the quick brown fox jumps over lazy dog morning river city music light window paper garden table "
    "we will meet after lunch today tomorrow please remember bring coffee train station yellow house "
    "seven eleven twenty people walked slowly across bridge evening weather report rain sunshine clouds "
    "every story begins small quiet village where nobody expected anything strange happen again"
).split()


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return x.astype(np.float32)
    g = np.gcd(rate, SAMPLE_RATE)
    return signal.resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return np.pad(x, (0, max(0, n - len(x))))[:n]


def _normalise(x: np.ndarray) -> np.ndarray:
    return (x / (np.sqrt(np.mean(x**2)) + 1e-8) * 0.1).astype(np.float32)


def instrument(family: str, rng: np.random.Generator) -> np.ndarray:
    """Two generated note streams of one program of ``family``, summed (a melody over a slower line)."""
    programs, notes = FAMILIES[family]
    program = None if programs is None else int(rng.choice(programs))
    soundfont = SOUNDFONTS[int(rng.integers(len(SOUNDFONTS)))]
    notes = list(notes)
    n = int(CLIP_S * SAMPLE_RATE)
    out = np.zeros(n, np.float32)
    for layer in range(2):
        on_s = float(rng.choice([0.12, 0.2, 0.3, 0.45]) * (2 if layer else 1))
        gap_s = float(rng.choice([0.0, 0.03, 0.1, 0.25]))
        count = int(CLIP_S / (on_s + gap_s)) + 1
        if programs is None:
            seq = [int(k) for k in rng.choice(notes, count)]
        else:  # a random walk keeps melodies in a playable register
            idx = np.clip(np.cumsum(rng.integers(-3, 4, count)) + rng.integers(len(notes)), 0, len(notes) - 1)
            seq = [notes[int(i)] for i in idx]
        velocity = int(rng.integers(60, 120))
        audio = render(soundfont, program, seq, SAMPLE_RATE, (velocity,), on_s, gap_s)
        out += _fit(audio, n) * float(rng.uniform(0.5, 1.0))
    return _normalise(out)


def speech(rng: np.random.Generator, voice: str | None = None) -> np.ndarray:
    """A voice reading generated sentences with short pauses, filling the clip."""
    voice = voice or str(rng.choice(VOICES))
    speed, pitch = int(rng.integers(130, 190)), int(rng.integers(25, 75))
    text = ". ".join(" ".join(rng.choice(WORDS, int(rng.integers(5, 10)))) for _ in range(4))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), text],
                       check=True, capture_output=True)
        audio, rate = sf.read(wav, dtype="float32")
    return _normalise(_fit(_resample(audio, rate), int(CLIP_S * SAMPLE_RATE)))


def _coloured(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Gaussian noise with a 1/f**exponent power spectrum (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
    return np.fft.irfft(spec / f ** (exponent / 2), n)


def _band(x: np.ndarray, low: float, high: float) -> np.ndarray:
    sos = signal.butter(2, [low, high], "bandpass", fs=SAMPLE_RATE, output="sos")
    return signal.sosfilt(sos, x)


def _slow_envelope(rng: np.random.Generator, n: int, rate_hz: float) -> np.ndarray:
    points = max(4, int(n / SAMPLE_RATE * rate_hz))
    return np.interp(np.arange(n), np.linspace(0, n, points), rng.uniform(0.2, 1.0, points))


def noise(kind: str, rng: np.random.Generator, babble_voices: list[np.ndarray]) -> np.ndarray:
    n = int(CLIP_S * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    if kind == "hiss":
        x = _coloured(rng, n, float(rng.uniform(0.0, 1.5)))
    elif kind == "hum":
        mains = float(rng.choice([50.0, 60.0]))
        x = sum(rng.uniform(0.1, 1.0) / k * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3)) for k in range(1, 12))
        x = x + 0.01 * _coloured(rng, n, 1.0) / 30
    elif kind == "wind":
        x = _band(_coloured(rng, n, 1.5), 30, float(rng.uniform(300, 1200))) * _slow_envelope(rng, n, 1.5)
    elif kind == "rain":
        drops = (rng.random(n) < rng.uniform(0.002, 0.01)) * rng.standard_normal(n)
        x = _band(drops, 1000, 12000) + 0.3 * _band(_coloured(rng, n, 0.5), 500, 8000)
    elif kind == "traffic":
        x = _band(_coloured(rng, n, 2.0), 25, 400)
        for _ in range(int(rng.integers(1, 4))):  # passing cars: a swell of band noise
            centre, width = rng.uniform(0, CLIP_S), rng.uniform(0.8, 2.5)
            car = _band(_coloured(rng, n, 1.0), 60, float(rng.uniform(1000, 3000)))
            x = x + 3 * car * np.exp(-(((t - centre) / width) ** 2))
    elif kind == "crowd":
        picks = rng.choice(len(babble_voices), int(rng.integers(4, 8)), replace=False)
        x = sum(np.roll(babble_voices[int(i)], int(rng.integers(n))) for i in picks)
    else:
        raise ValueError(kind)
    return _normalise(np.asarray(x, dtype=np.float64))


def theme_sounds() -> list[Path]:
    files = sorted({p for d in THEME_DIRS if d.is_dir() for p in d.glob("*.og[ga]")})
    return [p for p in files if not any(word in p.name for word in THEME_EXCLUDE)]


def recorded_event(path: Path) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return _normalise(_resample(audio.mean(1), rate)[: int(CLIP_S * SAMPLE_RATE)])


def knock(rng: np.random.Generator) -> np.ndarray:
    """A group of knocks: decaying resonant bursts (a few wooden modes) a quarter second apart."""
    modes = rng.uniform(150, 1500, 3)
    hit_n = int(0.15 * SAMPLE_RATE)
    t = np.arange(hit_n) / SAMPLE_RATE
    decay = rng.uniform(25, 60)
    hit = sum(np.sin(2 * np.pi * f * t) for f in modes) * np.exp(-decay * t)
    hit = hit + 0.5 * rng.standard_normal(hit_n) * np.exp(-300 * t)
    out = np.zeros(int(rng.integers(2, 5)) * int(0.25 * SAMPLE_RATE) + hit_n)
    for k in range(len(out) // int(0.25 * SAMPLE_RATE)):
        start = k * int(0.25 * SAMPLE_RATE) + int(rng.integers(0, 800))
        out[start : start + hit_n] += hit[: len(out) - start] * rng.uniform(0.6, 1.0)
    return _normalise(out)


def chirps(rng: np.random.Generator) -> np.ndarray:
    """A bird call: a trill of fast frequency sweeps between 2 and 7 kHz."""
    count, length = int(rng.integers(3, 9)), rng.uniform(0.04, 0.15)
    lo, hi = sorted(rng.uniform(2000, 7000, 2))
    t = np.arange(int(length * SAMPLE_RATE)) / SAMPLE_RATE
    sweep = np.sin(2 * np.pi * np.cumsum(np.linspace(hi, lo, len(t))) / SAMPLE_RATE) * np.hanning(len(t))
    gap = int(rng.uniform(0.03, 0.12) * SAMPLE_RATE)
    out = np.concatenate([np.concatenate([sweep * rng.uniform(0.5, 1), np.zeros(gap)]) for _ in range(count)])
    return _normalise(out)


def bank_items(seed: int, per_concept: int) -> Iterator[tuple[str, np.ndarray]]:
    """(concept, clip) pairs, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    for family in FAMILIES:
        for _ in range(per_concept):
            yield family, instrument(family, rng)
    voices = []
    for i in range(per_concept * 3):
        voices.append(speech(rng, VOICES[i % len(VOICES)]))
        yield "speech", voices[-1]
    for kind in ("hiss", "hum", "wind", "rain", "traffic", "crowd"):
        for _ in range(per_concept):
            yield kind, noise(kind, rng, voices)
    for path in theme_sounds():
        yield "alarm", recorded_event(path)
    for _ in range(per_concept):
        yield "knock", knock(rng)
        yield "bird", chirps(rng)
