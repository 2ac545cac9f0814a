"""Recordings from the registry: load (Qt bundles, OpenTTD sample catalogues, plain files), trim, and
arrange as event occurrences (a dog's bark series, a knock pattern, a ring) or as a looped background.
"""

from __future__ import annotations

import glob
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

from .audio import SR, decode_bytes, fade, normalise, trim_silence
from .rcc import read_member
from .sources import Source, is_reserved


@lru_cache(maxsize=4)
def _opensfx(path: str) -> tuple[tuple[str, bytes], ...]:
    """Entries (name, RIFF bytes) of an OpenTTD ``.cat`` sample catalogue."""
    b = Path(path).read_bytes()
    count = struct.unpack("<I", b[:4])[0] // 8
    out = []
    for i in range(count):
        off, size = struct.unpack("<II", b[8 * i : 8 * i + 8])
        off &= 0x7FFFFFFF
        if off >= len(b):
            break
        ln = b[off]
        name = b[off + 1 : off + 1 + ln].split(b"\0")[0].decode("latin1")
        out.append((name, b[off + 1 + ln : off + size]))
    return tuple(out)


def files_of(source: Source) -> list[str]:
    """Concrete file specs of a recording source (its glob expanded; reserved files never listed)."""
    p = source.path
    if "*" not in p or "!" in p or "#" in p:
        return [p] if not is_reserved(source.package, p) else []
    base = p if p.startswith("/") else "/usr/share/" + p
    found = sorted(glob.glob(base, recursive=True))
    rel = [f if p.startswith("/") else f.replace("/usr/share/", "", 1) for f in found]
    return [f for f in rel if Path(f if f.startswith("/") else "/usr/share/" + f).is_file() and not is_reserved(path=f)]


def load(spec: str, rate: int = SR) -> np.ndarray:
    """Decode one file spec (``X.rcc!inner``, ``X.cat#N`` or a path under /usr/share) to mono at ``rate``."""
    if is_reserved(path=spec):
        raise PermissionError("reserved evaluation material")
    if "#" in spec and spec.split("#")[0].endswith(".cat"):
        cat, idx = spec.rsplit("#", 1)
        path = cat if cat.startswith("/") else "/usr/share/" + cat
        return decode_bytes(_opensfx(path)[int(idx)][1], rate)
    return decode_bytes(read_member(spec), rate)


def occurrence(source: Source, rng: np.random.Generator, rate: int = SR, max_s: float = 2.5) -> tuple[np.ndarray, str]:
    """One occurrence of the event: a knock pattern, a short series of barks/calls, or one longer sound.

    Returns (audio, the file spec used). Long recordings are cut to ``max_s`` with a fade.
    """
    specs = files_of(source)
    spec = specs[int(rng.integers(len(specs)))]
    x = trim_silence(load(spec, rate), rate, -40.0)
    if source.extra.get("knock"):
        hits = [
            trim_silence(load(specs[int(rng.integers(len(specs)))], rate), rate, -40.0)[: int(0.25 * rate)]
            for _ in range(int(rng.integers(2, 5)))
        ]
        gap = float(rng.uniform(0.14, 0.24))
        out = np.zeros(int((gap * len(hits) + 0.3) * rate), np.float32)
        for i, h in enumerate(hits):
            at = int((i * gap + rng.uniform(-0.01, 0.01)) * rate) if i else 0
            h = fade(h, 0.001, 0.03, rate) * float(rng.uniform(0.7, 1.0))
            out[at : at + len(h)] += h[: len(out) - at]
        return trim_silence(out, rate, -50.0), spec
    dur = len(x) / rate
    if dur < 0.7:  # a single bark/meow/chirp: a short series
        reps = int(rng.integers(2, 5))
        pieces = []
        for i in range(reps):
            pieces.append(x * float(rng.uniform(0.75, 1.0)))
            if i < reps - 1:
                pieces.append(np.zeros(int(rng.uniform(0.12, 0.35) * rate), np.float32))
        x = np.concatenate(pieces)
    elif dur > max_s:
        start = int(rng.uniform(0, min(dur - max_s, 1.0)) * rate)
        x = fade(x[start : start + int(max_s * rate)], 0.01, 0.3, rate)
    return x.astype(np.float32), spec


def background(
    source: Source, rng: np.random.Generator, n: int, rate: int = SR, xfade_s: float = 0.3
) -> tuple[np.ndarray, str]:
    """A recording looped with cross-fades to fill ``n`` samples, RMS 0.1."""
    specs = files_of(source)
    spec = specs[int(rng.integers(len(specs)))]
    x = trim_silence(load(spec, rate), rate, -50.0)
    xf = min(int(xfade_s * rate), len(x) // 3)
    out = np.zeros(0, np.float32)
    start = int(rng.uniform(0, 0.5) * len(x))
    seg = x[start:]
    while len(out) < n:
        if len(out) == 0:
            out = seg.copy()
        else:
            ramp = np.linspace(0, 1, xf, dtype=np.float32)
            head = out[:-xf] if xf else out
            mixz = out[len(out) - xf :] * (1 - ramp) + seg[:xf] * ramp if xf else np.zeros(0, np.float32)
            out = np.concatenate([head, mixz, seg[xf:]])
        seg = x
    return normalise(out[:n]), spec
