"""The text-queried mask network in torch (training) and its safetensors file.

Per STFT frame the level-normalised log magnitude (all bins) and the span hint
enter a stack of dilated 1-D convolutions over time; every block is modulated
(FiLM) by the prompt's 384-d MiniLM embedding and sees the span hint again.
A sigmoid mask over all bins picks the named sound out of the mixture's STFT.
Convolutions over time only (bins are channels) keep it cheap on a CPU.
The service runs the same network in numpy (``network``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from audiolasso_learned.features import BINS, EPS, HOP, N_FFT

TEXT_DIM = 384

_WINDOWS: dict[torch.device, torch.Tensor] = {}


def _window(device: torch.device) -> torch.Tensor:
    if device not in _WINDOWS:
        _WINDOWS[device] = torch.hann_window(N_FFT, device=device)
    return _WINDOWS[device]


def stft(x: torch.Tensor) -> torch.Tensor:
    """(batch, samples) float -> (batch, BINS, frames) complex: ``features.stft`` in torch."""
    return torch.stft(x, N_FFT, HOP, window=_window(x.device), return_complex=True)


def istft(spec: torch.Tensor, length: int) -> torch.Tensor:
    return torch.istft(spec, N_FFT, HOP, window=_window(spec.device), length=length)


def log_magnitude(spec: torch.Tensor) -> torch.Tensor:
    """``features.log_magnitude`` in torch."""
    mag = spec.abs()
    scale = mag.pow(2).mean(dim=(1, 2), keepdim=True).clamp_min(EPS).sqrt()
    return torch.log(mag / scale + 1e-3)


@dataclass(frozen=True)
class ModelConfig:
    channels: int = 256
    blocks: int = 8
    kernel: int = 3
    dilation_cycle: int = 6  # dilations 1, 2, 4, ... 2**(cycle-1), then again


class ChannelNorm(nn.Module):
    """LayerNorm over channels, per frame: the same on a 3 s crop and a 10 s chunk."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class Block(nn.Module):
    def __init__(self, channels: int, kernel: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)
        self.norm = ChannelNorm(channels)
        self.span = nn.Parameter(torch.zeros(1, channels, 1))
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(x)) * (1 + gamma) + beta + self.span * spans
        return x + self.mix(torch.nn.functional.gelu(y))


class MaskNet(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        c = config.channels
        self.inp = nn.Sequential(nn.Conv1d(BINS + 1, c, 1), ChannelNorm(c))
        self.film = nn.Linear(TEXT_DIM, 2 * c * config.blocks)
        self.blocks = nn.ModuleList(
            Block(c, config.kernel, 2 ** (i % config.dilation_cycle)) for i in range(config.blocks)
        )
        self.out = nn.Conv1d(c, BINS, 1)

    def forward(self, spec: torch.Tensor, text: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        """spec (B, BINS, T) complex, text (B, 384), spans (B, T) in {-1, 0, 1} -> mask (B, BINS, T)."""
        s = spans.unsqueeze(1)
        x = self.inp(torch.cat([log_magnitude(spec), s], 1))
        film = self.film(text).view(len(text), len(self.blocks), 2, -1, 1)
        for i, block in enumerate(self.blocks):
            x = block(x, film[:, i, 0], film[:, i, 1], s)
        return torch.sigmoid(self.out(x))


def save(model: MaskNet, path: Path, dtype: torch.dtype = torch.float32) -> None:
    """Weights as ``dtype`` (float16 halves the file; ``load`` reads either into a float32 model)."""
    tensors = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(path), metadata={"config": json.dumps(asdict(model.config))})


def load(path: Path, device: str = "cpu") -> MaskNet:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        config = ModelConfig(**json.loads(f.metadata()["config"]))
    model = MaskNet(config)
    model.load_state_dict(load_file(str(path), device=device))
    return model.to(device).eval()
