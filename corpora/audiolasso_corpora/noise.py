"""Procedural noises (kept simple): coloured noise, mains hum, wind, rain, street traffic.

``make(kind, rng, n, rate)`` -> mono float32 of ``n`` samples at RMS 0.1, plus a short description.
Seeds come from the split's own range (``sources.SEED_BASE``), so no two splits share a noise.
"""

from __future__ import annotations

import numpy as np

from .audio import SR, bandpass, lowpass, normalise


def coloured(rng: np.random.Generator, n: int, exponent: float, rate: int = SR) -> np.ndarray:
    """Gaussian noise with a 1/f**exponent power spectrum (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / rate), 20.0)
    return np.fft.irfft(spec / f ** (exponent / 2), n).astype(np.float32)


def slow_envelope(rng: np.random.Generator, n: int, rate_hz: float, lo: float = 0.2, rate: int = SR) -> np.ndarray:
    points = max(4, int(n / rate * rate_hz))
    knots = rng.uniform(lo, 1.0, points)
    return np.interp(np.arange(n), np.linspace(0, n, points), knots).astype(np.float32)


def make(kind: str, rng: np.random.Generator, n: int, rate: int = SR) -> tuple[np.ndarray, str]:
    t = np.arange(n) / rate
    if kind in ("white", "pink", "brown"):
        e = {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind] + float(rng.uniform(-0.2, 0.2))
        x = coloured(rng, n, max(0.0, e), rate)
        desc = f"{kind} Gaussian noise (1/f^{max(0.0, e):.2f})"
        if kind == "white":
            x = lowpass(x, float(rng.uniform(9000, 16000)), rate, 2)
            desc += ", tape-like low-pass"
    elif kind == "hum":
        mains = float(rng.choice([50.0, 60.0]))
        x = sum(
            rng.uniform(0.2, 1.0) / k ** rng.uniform(0.5, 1.2) * np.sin(2 * np.pi * mains * k * t + rng.uniform(0, 6.3))
            for k in range(1, 14)
        )
        x = np.asarray(x) * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t))
        desc = f"mains hum {mains:.0f} Hz + 13 harmonics, slow wobble"
    elif kind == "wind":
        x = bandpass(coloured(rng, n, 1.5, rate), 40, float(rng.uniform(400, 1500)), rate) * slow_envelope(
            rng, n, float(rng.uniform(0.8, 2.0)), 0.15, rate
        )
        gust = bandpass(coloured(rng, n, 1.0, rate), 200, 3000, rate) * slow_envelope(rng, n, 1.0, 0.0, rate) ** 3
        x = x + 0.4 * gust
        desc = "synthetic wind (gusting band-passed noise)"
    elif kind == "rain":
        density = float(rng.uniform(0.003, 0.02))
        drops = (rng.random(n) < density) * rng.standard_normal(n) * rng.uniform(0.3, 1.0, n)
        x = bandpass(drops, float(rng.uniform(800, 1500)), 14000, rate) + float(rng.uniform(0.2, 0.5)) * bandpass(
            coloured(rng, n, 0.7, rate), 400, 9000, rate
        )
        desc = f"synthetic rain (drop density {density:.3f}, hiss bed)"
    elif kind == "traffic":
        x = bandpass(coloured(rng, n, 2.0, rate), 25, 500, rate)
        cars = int(rng.integers(1, 4))
        for _ in range(cars):
            centre, width = rng.uniform(0, n / rate), rng.uniform(0.8, 2.5)
            car = bandpass(coloured(rng, n, 1.0, rate), 60, float(rng.uniform(1200, 3500)), rate)
            x = x + 3 * car * np.exp(-(((t - centre) / width) ** 2))
        desc = f"synthetic street traffic (rumble + {cars} passing cars)"
    else:
        raise ValueError(kind)
    return normalise(np.asarray(x, np.float32)), desc
