"""STFT round trips and soft masks shared by the DSP methods (torch on the CPU)."""

from __future__ import annotations

import numpy as np
import torch

EPS = 1e-9


def stft(x: np.ndarray, n_fft: int, hop: int) -> torch.Tensor:
    """Complex spectrogram (n_fft // 2 + 1, frames) of mono ``x``.

    Zero padding at the edges (not reflection) so chunks shorter than a frame work too.
    """
    return torch.stft(
        torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32)),
        n_fft,
        hop,
        window=torch.hann_window(n_fft),
        pad_mode="constant",
        return_complex=True,
    )


def istft(spec: torch.Tensor, n_fft: int, hop: int, length: int) -> np.ndarray:
    return torch.istft(spec, n_fft, hop, window=torch.hann_window(n_fft), length=length).numpy()


def masked(x: np.ndarray, spec: torch.Tensor, mask: torch.Tensor, n_fft: int, hop: int) -> np.ndarray:
    """``x`` filtered by ``mask`` (same shape as ``spec``, the STFT of ``x``)."""
    return istft(spec * mask, n_fft, hop, len(x)).astype(np.float32, copy=False)


def soft_mask(wanted: torch.Tensor, other: torch.Tensor, power: float = 2.0) -> torch.Tensor:
    """Wiener-style mask wanted^p / (wanted^p + other^p); silent bins split evenly."""
    w = wanted**power
    total = w + other**power
    return torch.where(total > 0, w / total.clamp(min=EPS), torch.full_like(w, 0.5))


def frame_of(seconds: float, sr: int, hop: int) -> int:
    """The STFT frame centred nearest ``seconds`` (frames are centred at multiples of ``hop``)."""
    return int(round(seconds * sr / hop))
