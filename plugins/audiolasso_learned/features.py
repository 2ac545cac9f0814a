"""The signal front end shared by training and inference: STFT and the span channel."""

from __future__ import annotations

import numpy as np
import torch

from audiolasso_learned import SAMPLE_RATE

N_FFT = 2048
HOP = 512  # 11.6 ms frames
BINS = N_FFT // 2 + 1
EPS = 1e-8

_WINDOWS: dict[torch.device, torch.Tensor] = {}


def _window(device: torch.device) -> torch.Tensor:
    if device not in _WINDOWS:
        _WINDOWS[device] = torch.hann_window(N_FFT, device=device)
    return _WINDOWS[device]


def stft(x: torch.Tensor) -> torch.Tensor:
    """(batch, samples) float -> (batch, BINS, frames) complex."""
    return torch.stft(x, N_FFT, HOP, window=_window(x.device), return_complex=True)


def istft(spec: torch.Tensor, length: int) -> torch.Tensor:
    return torch.istft(spec, N_FFT, HOP, window=_window(spec.device), length=length)


def frames(samples: int) -> int:
    return samples // HOP + 1


def log_magnitude(spec: torch.Tensor) -> torch.Tensor:
    """Level-normalised log magnitude: each item is scaled to unit mean power first,
    so the network sees the same numbers for a quiet and a loud take."""
    mag = spec.abs()
    scale = mag.pow(2).mean(dim=(1, 2), keepdim=True).clamp_min(EPS).sqrt()
    return torch.log(mag / scale + 1e-3)


def span_channel(spans: list[tuple[float, float, bool]], n_frames: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Per-frame hint: +1 where an include span says the target sounds, -1 where an
    exclude span says it does not, 0 where nothing is known."""
    out = np.zeros(n_frames, dtype=np.float32)
    times = np.arange(n_frames) * HOP / sample_rate
    for start, end, include in spans:
        out[(times >= start) & (times < end)] = 1.0 if include else -1.0
    return out
