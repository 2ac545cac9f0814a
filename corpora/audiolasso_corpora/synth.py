"""Numpy instrument synthesis with randomised parameters.

Six methods, each a registry source of its own split (``sources.py``):

* ``additive``       (train)   — random partial spectra, ADSR, vibrato: strings, organ, brass, woodwinds;
* ``subtractive``    (train)   — saw/square through a low-pass with a filter envelope: bass, leads, brass;
* ``fm``             (tune)    — two/three-operator FM (Chowning): e-piano, bass, brass, organ, reeds;
* ``karplus_strong`` (heldout) — plucked strings (Karplus-Strong with pick position and a body filter): guitar, bass;
* ``modal``          (heldout) — stiff-string partials with hammer excitation and frequency-dependent decay
  (piano), or free-bar modes (marimba/vibraphone).
* ``drum_machine``   (train)   — analogue-style drum voices (swept-sine kicks and toms, noise-and-tone snares,
  hand claps, metallic hats and cymbals), played from General MIDI drum pitches.

Entry point: ``render(method, family, notes, rng, duration_s, rate)`` -> mono float32. ``notes`` is a list of
``(start_s, dur_s, midi_pitch, velocity)``; ``rng`` draws the patch once (a "player + instrument"), then
small per-note variations.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from .audio import SR

METHODS = {
    "additive": ("strings", "organ_synth", "brass", "woodwinds"),
    "subtractive": ("bass", "organ_synth", "brass"),
    "fm": ("piano", "bass", "brass", "organ_synth", "woodwinds"),
    "karplus_strong": ("guitar", "bass"),
    "modal": ("piano", "marimba"),
    "drum_machine": ("drums",),
}


def midi_hz(p: float) -> float:
    return 440.0 * 2 ** ((p - 69) / 12)


def _adsr(n: int, rate: int, a: float, d: float, s: float, r: float, hold: int) -> np.ndarray:
    """Envelope of ``n`` samples: attack/decay to sustain level ``s`` until ``hold``, then release."""
    t = np.arange(n) / rate
    env = np.where(t < a, t / max(a, 1e-4), s + (1 - s) * np.exp(-(t - a) / max(d, 1e-4)))
    th = hold / rate
    rel = np.exp(-np.maximum(t - th, 0) / max(r, 1e-4))
    level_at_release = np.interp(th, t, env) if n else 0.0
    env = np.where(t < th, env, level_at_release * rel)
    return env.astype(np.float64)


def _partials_osc(
    f0: float,
    amps: np.ndarray,
    n: int,
    rate: int,
    vib: np.ndarray | None = None,
    detune: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    t = np.arange(n) / rate
    out = np.zeros(n)
    phase_mod = 0.0 if vib is None else vib
    for k, a in enumerate(amps, start=1):
        fk = f0 * k * (1.0 if detune is None else detune[k - 1])
        if fk >= rate * 0.45 or a <= 0:
            continue
        ph0 = 0.0 if rng is None else rng.uniform(0, 2 * np.pi)
        out += a * np.sin(2 * np.pi * fk * t + k * phase_mod + ph0)
    return out


def _vibrato(
    n: int, rate: int, f0: float, depth_cents: float, speed: float, delay: float, rng: np.random.Generator
) -> np.ndarray:
    """Phase offset (radians, for the fundamental) of a delayed sinusoidal vibrato."""
    t = np.arange(n) / rate
    ramp = np.clip((t - delay) / 0.3, 0, 1)
    dev_hz = f0 * (2 ** (depth_cents / 1200) - 1)
    return ramp * dev_hz / speed * np.sin(2 * np.pi * speed * t + rng.uniform(0, 6.28))


# --------------------------------------------------------------------------------------------------
# patches: one random draw per part
# --------------------------------------------------------------------------------------------------
def patch(method: str, family: str, rng: np.random.Generator) -> dict:
    """Random parameters for ``method`` playing ``family`` (drawn once per part)."""
    if family not in METHODS[method]:
        raise ValueError(f"{method} does not play {family}")
    u = rng.uniform
    p: dict = {"method": method, "family": family}
    if method == "additive":
        if family == "strings":
            p.update(
                tilt=u(0.9, 1.5),
                odd=u(0.8, 1.1),
                attack=u(0.08, 0.25),
                release=u(0.15, 0.4),
                vib=u(8, 20),
                speed=u(4.5, 6.5),
                sustain=u(0.7, 0.9),
                ensemble=int(rng.integers(1, 4)),
            )
        elif family == "organ_synth":
            bars = rng.integers(0, 9, 9) / 8.0
            bars[0] = max(bars[0], 0.5)
            p.update(
                drawbars=bars.tolist(),
                attack=u(0.005, 0.02),
                release=u(0.03, 0.1),
                vib=u(0, 6),
                speed=6.5,
                sustain=1.0,
                ensemble=1,
            )
        elif family == "brass":
            p.update(
                tilt=u(0.6, 1.0),
                odd=1.0,
                attack=u(0.03, 0.08),
                release=u(0.05, 0.15),
                vib=u(5, 15),
                speed=u(5, 6),
                sustain=u(0.75, 0.95),
                ensemble=1,
                bright_attack=u(1.0, 2.0),
            )
        else:  # woodwinds
            p.update(
                tilt=u(1.2, 2.0),
                odd=u(0.2, 1.0),
                attack=u(0.03, 0.07),
                release=u(0.05, 0.12),
                vib=u(5, 15),
                speed=u(4.5, 5.5),
                sustain=u(0.8, 0.95),
                ensemble=1,
                breath=u(0.01, 0.05),
            )
    elif method == "subtractive":
        p.update(
            wave=str(rng.choice(["saw", "square"])),
            cutoff=u(300, 1500) if family == "bass" else u(900, 4000),
            env_amt=u(1.0, 4.0),
            f_decay=u(0.05, 0.4),
            q=u(0.7, 4.0),
            attack=u(0.003, 0.03),
            decay=u(0.1, 0.6),
            sustain=u(0.4, 0.9),
            release=u(0.03, 0.2),
            detune=u(0, 12),
        )
    elif method == "fm":
        presets = {
            "piano": dict(
                ratio=1.0,
                index=u(1.5, 3.5),
                idx_decay=u(0.2, 0.8),
                ratio2=float(rng.choice([7.0, 14.0])),
                index2=u(0.3, 1.2),
                decay=u(0.6, 1.8),
                sustain=0.0,
                attack=0.002,
            ),
            "bass": dict(
                ratio=float(rng.choice([0.5, 1.0, 2.0])),
                index=u(1.0, 3.0),
                idx_decay=u(0.05, 0.3),
                decay=u(0.3, 1.0),
                sustain=u(0.2, 0.6),
                attack=0.003,
            ),
            "brass": dict(
                ratio=1.0,
                index=u(2.5, 5.0),
                idx_attack=u(0.04, 0.1),
                decay=u(0.4, 1.0),
                sustain=u(0.7, 0.9),
                attack=u(0.03, 0.07),
            ),
            "organ_synth": dict(
                ratio=float(rng.choice([1.0, 2.0, 3.0])),
                index=u(0.4, 1.5),
                decay=1.0,
                sustain=1.0,
                attack=0.01,
                carriers=int(rng.integers(1, 3)),
            ),
            "woodwinds": dict(
                ratio=float(rng.choice([2.0, 3.0])),
                index=u(0.8, 2.0),
                decay=1.0,
                sustain=u(0.8, 0.95),
                attack=u(0.03, 0.08),
                breath=u(0.01, 0.04),
            ),
        }
        p.update(presets[family], release=u(0.05, 0.2), vib=u(0, 10), speed=u(4.5, 6.0))
    elif method == "karplus_strong":
        if family == "guitar":
            p.update(decay=u(0.985, 0.998), bright=u(0.3, 0.9), pick=u(0.08, 0.3), body=u(0.3, 0.8), mute=u(0.0, 0.4))
        else:
            p.update(decay=u(0.990, 0.998), bright=u(0.1, 0.4), pick=u(0.1, 0.25), body=u(0.1, 0.4), mute=u(0.2, 0.6))
    elif method == "drum_machine":
        p.update(
            kick_f=(u(90, 220), u(38, 65)),  # start and end of the pitch sweep
            kick_sweep=u(12, 45),
            kick_decay=u(0.08, 0.5),
            kick_click=u(0.0, 0.5),
            snare_tone=u(140, 260),
            snare_tone_mix=u(0.1, 0.8),
            snare_decay=u(0.05, 0.25),
            snare_cutoff=u(1500, 9000),
            hat_decay=u(0.015, 0.06),
            open_decay=u(0.12, 0.45),
            hat_cutoff=u(4000, 10000),
            hat_metal=rng.random() < 0.5,  # six detuned squares (808-style) rather than noise
            cymbal_decay=u(0.5, 1.8),
            tom_decay=u(0.12, 0.45),
            clap_bursts=int(rng.integers(2, 5)),
            drive=u(0.0, 2.0),
            level_jitter=u(0.0, 0.3),
        )
    elif method == "modal":
        if family == "piano":
            p.update(
                B=u(0.0001, 0.0006),
                hammer=u(0.4, 1.0),
                t60=u(2.0, 6.0),
                hf_damp=u(1.0, 2.5),
                strings=int(rng.integers(2, 4)),
                detune_cents=u(0.3, 2.0),
                release=u(0.08, 0.25),
            )
        else:
            p.update(
                ratios=[1.0, 3.93, 9.2] if rng.random() < 0.5 else [1.0, 4.0, 10.0],
                t60=u(0.6, 2.0),
                trem=u(0.0, 5.0),
                release=u(0.1, 0.3),
            )
    return p


# --------------------------------------------------------------------------------------------------
# one note per method
# --------------------------------------------------------------------------------------------------
def _note_additive(p, f0, dur, vel, rng, rate):
    tail = p["release"] * 4
    n = int((dur + tail) * rate)
    hold = int(dur * rate)
    env = _adsr(n, rate, p["attack"], 0.3, p["sustain"], p["release"], hold)
    vib = _vibrato(n, rate, f0, p["vib"], p["speed"], 0.15, rng)
    if p["family"] == "organ_synth":
        footage = [0.5, 1.5, 1, 2, 3, 4, 5, 6, 8]
        out = sum(
            b * np.sin(2 * np.pi * f0 * m * np.arange(n) / rate + rng.uniform(0, 6.28))
            for b, m in zip(p["drawbars"], footage, strict=False)
            if b > 0 and f0 * m < rate * 0.45
        )
        return np.asarray(out) * env
    kmax = max(1, min(40, int(rate * 0.45 / f0)))
    k = np.arange(1, kmax + 1)
    amps = k ** (-p["tilt"]) * np.where(k % 2 == 0, p["odd"], 1.0) * rng.uniform(0.7, 1.3, kmax)
    out = np.zeros(n)
    for _ in range(p["ensemble"]):
        det = 2 ** (rng.normal(0, 6, kmax) / 1200) if p["ensemble"] > 1 else None
        out += _partials_osc(f0, amps, n, rate, vib, det, rng)
    out *= env
    if p.get("breath"):
        out += p["breath"] * env * signal.lfilter([1, -0.9], [1], rng.standard_normal(n)) * amps.sum()
    return out * (0.5 + vel / 254)


def _note_subtractive(p, f0, dur, vel, rng, rate):
    n = int((dur + p["release"] * 4) * rate)
    hold = int(dur * rate)
    t = np.arange(n) / rate
    kmax = max(1, int(rate * 0.45 / f0))
    k = np.arange(1, kmax + 1)
    amps = (1.0 / k) if p["wave"] == "saw" else np.where(k % 2 == 1, 1.0 / k, 0.0)
    x = _partials_osc(f0, amps, n, rate, None, None, rng)
    x += 0.7 * _partials_osc(f0 * 2 ** (p["detune"] / 1200), amps, n, rate, None, None, rng)
    # filter envelope approximated by cross-fading a bright and a dark version
    c_hi = min(p["cutoff"] * (1 + p["env_amt"]), rate * 0.45)
    bright = signal.sosfilt(signal.butter(2, c_hi, "lowpass", fs=rate, output="sos"), x)
    dark = signal.sosfilt(signal.butter(2, p["cutoff"], "lowpass", fs=rate, output="sos"), x)
    w = np.exp(-t / p["f_decay"])
    env = _adsr(n, rate, p["attack"], p["decay"], p["sustain"], p["release"], hold)
    return (w * bright + (1 - w) * dark) * env * (0.5 + vel / 254)


def _note_fm(p, f0, dur, vel, rng, rate):
    n = int((dur + p["release"] * 4) * rate)
    hold = int(dur * rate)
    t = np.arange(n) / rate
    env = _adsr(n, rate, p["attack"], p["decay"], p["sustain"], p["release"], hold)
    if "idx_decay" in p:
        idx = p["index"] * (0.3 + 0.7 * np.exp(-t / p["idx_decay"])) * (0.6 + vel / 254)
    elif "idx_attack" in p:
        idx = p["index"] * np.clip(t / p["idx_attack"], 0, 1) * env
    else:
        idx = np.full(n, p["index"])
    vib = _vibrato(n, rate, f0, p["vib"], p["speed"], 0.2, rng)
    fm = f0 * p["ratio"]
    mod = idx * np.sin(2 * np.pi * fm * t + p["ratio"] * vib)
    if "ratio2" in p:
        mod = mod + p["index2"] * np.exp(-t / 0.05) * np.sin(2 * np.pi * f0 * p["ratio2"] * t)
    y = np.zeros(n)
    for c in range(p.get("carriers", 1)):
        y += np.sin(2 * np.pi * f0 * (c + 1) * t + (c + 1) * vib + mod) / (c + 1)
    if p.get("breath"):
        y += p["breath"] * 20 * signal.lfilter([1, -0.95], [1], rng.standard_normal(n)) * 0.05
    return y * env * (0.5 + vel / 254)


def _note_ks(p, f0, dur, vel, rng, rate):
    over = 2  # run at twice the rate for finer delay-line tuning
    r2 = rate * over
    n2 = int((dur + 0.3) * r2)
    N = max(2, int(round(r2 / f0 - 0.5)))
    burst = rng.uniform(-1, 1, N)
    burst = signal.lfilter([1 - p["bright"]], [1, -p["bright"]], burst)  # softer pluck when dark
    m = max(1, int(p["pick"] * N))
    burst[m:] -= burst[:-m]  # pick-position comb
    x = np.zeros(n2)
    x[:N] = burst
    g = p["decay"] ** (44100 / r2) * (1 - p["mute"] * 0.02)
    a = np.zeros(N + 2)
    a[0] = 1.0
    a[N] -= g * 0.5
    a[N + 1] -= g * 0.5
    y = signal.lfilter([1.0], a, x)
    # damp at note-off (a finger on the string)
    t = np.arange(n2) / r2
    y *= np.where(t < dur, 1.0, np.exp(-(t - dur) / 0.04))
    y = signal.resample_poly(y, 1, over)
    # body: two resonances of a wooden box
    for fc, q in ((float(rng.uniform(90, 130)), 3.0), (float(rng.uniform(200, 260)), 4.0)):
        b, a2 = signal.iirpeak(fc, q, fs=rate)
        y = y + p["body"] * signal.lfilter(b, a2, y)
    return y * (0.4 + vel / 200)


def _note_modal(p, f0, dur, vel, rng, rate):
    rel = p["release"]
    n = int((dur + rel * 5) * rate)
    t = np.arange(n) / rate
    y = np.zeros(n)
    off = np.where(t < dur, 1.0, np.exp(-(t - dur) / rel))
    if p["family"] == "piano":
        kmax = max(1, min(30, int(rate * 0.45 / f0)))
        for k in range(1, kmax + 1):
            fk = k * f0 * np.sqrt(1 + p["B"] * k * k)
            if fk > rate * 0.45:
                break
            hammer = np.sinc(k * p["hammer"] * (0.3 + (127 - vel) / 254) / 3) ** 2 / k**0.6
            tau = p["t60"] / 6.91 / (1 + (fk / 1000) ** p["hf_damp"] * 0.5) * (220 / max(f0, 110)) ** 0.5
            for _ in range(p["strings"]):
                det = 2 ** (rng.normal(0, p["detune_cents"]) / 1200)
                y += hammer * np.exp(-t / tau) * np.sin(2 * np.pi * fk * det * t + rng.uniform(0, 6.28))
        y /= p["strings"]
        y *= 1 - np.exp(-t / 0.002)
        return y * off * (0.3 + vel / 180)
    for i, r in enumerate(p["ratios"]):
        fk = f0 * r
        if fk > rate * 0.45:
            break
        tau = p["t60"] / 6.91 / (1 + i * 1.5)
        y += (0.6**i) * np.exp(-t / tau) * np.sin(2 * np.pi * fk * t)
    if p["trem"]:
        y *= 1 - 0.3 * (0.5 + 0.5 * np.sin(2 * np.pi * p["trem"] * t))
    return y * off * (0.3 + vel / 180)


_KICKS, _SNARES, _CLAPS = {35, 36}, {38, 40, 37}, {39}
_CLOSED_HATS, _OPEN_HATS, _CYMBALS = {42, 44, 54, 70}, {46}, {49, 51, 52, 53, 55, 57, 59}
_TOMS = {41: 0.55, 43: 0.65, 45: 0.75, 47: 0.85, 48: 1.0, 50: 1.15}  # pitch relative to a mid tom


def _sweep(f_start: float, f_end: float, rate_k: float, t: np.ndarray) -> np.ndarray:
    """Phase of a sine whose frequency falls exponentially from f_start to f_end."""
    return 2 * np.pi * (f_end * t + (f_start - f_end) / rate_k * (1 - np.exp(-rate_k * t)))


def _bandpass(x: np.ndarray, lo: float, hi: float, rate: int) -> np.ndarray:
    hi = min(hi, 0.45 * rate)
    sos = signal.butter(2, [lo, hi], btype="band", fs=rate, output="sos")
    return signal.sosfilt(sos, x)


def _metal(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Six detuned square waves, the classic analogue cymbal/hat source."""
    base = rng.uniform(180, 320)
    ratios = np.array([1.0, 1.48, 1.62, 1.83, 2.17, 2.62])[:, None]
    phases = rng.uniform(0, 6.3, (len(ratios), 1))
    return np.sign(np.sin(2 * np.pi * base * ratios * t + phases)).mean(axis=0)


def _drum_hit(p: dict, pitch: int, vel: int, rng: np.random.Generator, rate: int) -> np.ndarray:
    u = rng.uniform
    if pitch in _KICKS:
        t = np.arange(int(rate * p["kick_decay"] * 5)) / rate
        f0, f1 = p["kick_f"]
        y = np.sin(_sweep(f0, f1, p["kick_sweep"], t)) * np.exp(-t / p["kick_decay"])
        y += p["kick_click"] * rng.standard_normal(len(t)) * np.exp(-t / 0.003)
    elif pitch in _SNARES or pitch in _CLAPS:
        t = np.arange(int(rate * 0.6)) / rate
        noise = _bandpass(rng.standard_normal(len(t)), 300, p["snare_cutoff"], rate)
        if pitch in _CLAPS:  # a few quick bursts, then the tail
            env = sum(np.exp(-np.maximum(t - k * 0.011, 0) / 0.006) * (t >= k * 0.011) for k in range(p["clap_bursts"]))
            y = _bandpass(noise, 700, 2500, rate) * (env + np.exp(-t / 0.09))
        else:
            tone = np.sin(_sweep(p["snare_tone"] * 1.4, p["snare_tone"], 60, t)) * np.exp(-t / 0.06)
            y = noise * np.exp(-t / p["snare_decay"]) * (1 - p["snare_tone_mix"]) + tone * p["snare_tone_mix"]
    elif pitch in _TOMS:
        t = np.arange(int(rate * p["tom_decay"] * 5)) / rate
        f = p["kick_f"][0] * _TOMS[pitch] * u(0.95, 1.05) + 40
        y = np.sin(_sweep(f * 1.3, f, 20, t)) * np.exp(-t / p["tom_decay"])
    else:  # hats, cymbals and anything else a kit maps to metal
        decay = (
            p["hat_decay"] if pitch in _CLOSED_HATS else p["open_decay"] if pitch in _OPEN_HATS else p["cymbal_decay"]
        )
        t = np.arange(int(rate * min(decay * 5, 4.0))) / rate
        src = _metal(t, rng) if p["hat_metal"] else rng.standard_normal(len(t))
        lo = p["hat_cutoff"] * (0.6 if pitch in _CYMBALS else 1.0)
        sos = signal.butter(2, min(lo, 0.45 * rate), btype="high", fs=rate, output="sos")
        y = signal.sosfilt(sos, src) * np.exp(-t / decay) * 0.6
    if p["drive"] > 0.05:
        y = np.tanh(y * (1 + p["drive"])) / np.tanh(1 + p["drive"])
    gain = (0.3 + 0.7 * vel / 127) * (1 - u(0, p["level_jitter"]))
    return np.asarray(y * gain)


_NOTE = {
    "additive": _note_additive,
    "subtractive": _note_subtractive,
    "fm": _note_fm,
    "karplus_strong": _note_ks,
    "modal": _note_modal,
}


def render(
    method: str,
    family: str,
    notes: list[tuple[float, float, int, int]],
    rng: np.random.Generator,
    duration_s: float,
    rate: int = SR,
    params: dict | None = None,
) -> np.ndarray:
    """Render ``notes`` with a random patch of ``method`` for ``family`` (or the given ``params``)."""
    p = params or patch(method, family, rng)
    n = int(duration_s * rate)
    out = np.zeros(n + rate * 5)
    for start, dur, pitch, vel in notes:
        at = int(start * rate)
        if at >= n:
            continue
        if method == "drum_machine":  # drum pitches name a voice, not a frequency
            y = _drum_hit(p, int(pitch), vel, rng, rate)
        else:
            y = _NOTE[method](p, midi_hz(pitch), dur, vel, rng, rate)
        end = min(len(out), at + len(y))
        out[at:end] += y[: end - at]
    return out[:n].astype(np.float32)
