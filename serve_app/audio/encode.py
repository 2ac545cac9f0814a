"""Write result tracks to files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

OutputFormat = Literal["wav", "flac"]

CONTENT_TYPES: dict[str, str] = {"wav": "audio/wav", "flac": "audio/flac"}

# WAV is 32-bit float so target + residual reproduces the mixture exactly;
# FLAC has no float mode, so it is 24-bit PCM (clipped to full scale).
_SOUNDFILE_FORMATS: dict[str, tuple[str, str]] = {"wav": ("WAV", "FLOAT"), "flac": ("FLAC", "PCM_24")}


def encode(x: np.ndarray, sr: int, fmt: OutputFormat, path: str | os.PathLike) -> int:
    """Write float32 audio shaped (channels, frames) to ``path``; return the file size in bytes."""
    if fmt not in _SOUNDFILE_FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; choose one of {sorted(_SOUNDFILE_FORMATS)}")
    container, subtype = _SOUNDFILE_FORMATS[fmt]
    frames = x.T
    if subtype.startswith("PCM"):
        frames = np.clip(frames, -1.0, 1.0)
    sf.write(os.fspath(path), frames, sr, format=container, subtype=subtype)
    return Path(path).stat().st_size
