"""Sample-rate conversion (torchaudio is used for resampling only; it has no file I/O)."""

from __future__ import annotations

import numpy as np
import torch
import torchaudio.functional as AF


def resample(x: np.ndarray, from_sr: int, to_sr: int) -> np.ndarray:
    """Resample float32 audio shaped (..., frames) from ``from_sr`` to ``to_sr`` Hz."""
    if from_sr == to_sr:
        return x
    with torch.inference_mode():
        y = AF.resample(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)), from_sr, to_sr)
    return y.numpy()
