"""Write result tracks to files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from serve_app.audio.formats import Encoding
from serve_app.audio.resample import resample


def encode(x: np.ndarray, sr: int, encoding: Encoding, path: str | os.PathLike) -> tuple[int, int]:
    """Write float32 audio shaped (channels, frames) to ``path``; return the file size in bytes
    and the sample rate written (the codec's nearest when it does not take ``sr``)."""
    encoding.check_channels(x.shape[0])
    rate = encoding.rate_for(sr)
    frames = resample(x, sr, rate).T
    if not encoding.exact:
        frames = np.clip(frames, -1.0, 1.0)
    sf.write(os.fspath(path), frames, rate, format=encoding.container, subtype=encoding.subtype)
    return Path(path).stat().st_size, rate
