"""The shipped mask network (``model.MaskNet``) run in numpy, as the service runs it.

The same layers as the torch module, read from the same safetensors file, so a
Separator serves the network without importing torch (about 450 MB per
process). ``tests/unit/test_learned.py`` holds its masks to the torch module's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.special
from safetensors import safe_open

from audiolasso_learned.features import log_magnitude
from serve_app.layers import gelu, layer_norm

LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's


@dataclass(frozen=True)
class Config:
    channels: int
    blocks: int
    kernel: int
    dilation_cycle: int


class Network:
    """Weights as float32 arrays by their torch names; ``masks`` is ``MaskNet.forward``."""

    def __init__(self, path: Path) -> None:
        with safe_open(str(path), framework="np") as f:
            self.config = Config(**json.loads(f.metadata()["config"]))
            self.weights = {name: f.get_tensor(name).astype(np.float32) for name in f.keys()}

    def masks(self, spec: np.ndarray, text: np.ndarray, spans: np.ndarray) -> np.ndarray:
        """spec (B, BINS, T) complex, text (B, 384), spans (B, T) in {-1, 0, 1} -> mask (B, BINS, T)."""
        w, blocks = self.weights, self.config.blocks
        s = spans[:, None, :].astype(np.float32)
        x = self._norm(_conv1(w, "inp.0", np.concatenate([log_magnitude(spec), s], 1)), "inp.1.norm")
        film = (text @ w["film.weight"].T + w["film.bias"]).reshape(len(text), blocks, 2, -1, 1)
        for i in range(blocks):
            name = f"blocks.{i}"
            dilation = 2 ** (i % self.config.dilation_cycle)
            y = self._norm(self._dilated(x, name, dilation), f"{name}.norm.norm")
            y = y * (1 + film[:, i, 0]) + film[:, i, 1] + w[f"{name}.span"] * s
            x = x + _conv1(w, f"{name}.mix", gelu(y))
        return scipy.special.expit(_conv1(w, "out", x))

    def _dilated(self, x: np.ndarray, name: str, dilation: int) -> np.ndarray:
        """A 'same'-padded dilated convolution over time: one matrix product per kernel tap."""
        kernel, frames = self.config.kernel, x.shape[-1]
        pad = dilation * (kernel - 1) // 2
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
        weight = self.weights[f"{name}.conv.weight"]
        out = sum(weight[:, :, k] @ padded[:, :, k * dilation : k * dilation + frames] for k in range(kernel))
        return out + self.weights[f"{name}.conv.bias"][:, None]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        """LayerNorm over channels, per frame."""
        return layer_norm(x, self.weights[f"{name}.weight"], self.weights[f"{name}.bias"], LAYER_NORM_EPS, axis=1)


def _conv1(weights: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    """A kernel-1 convolution: the same linear map of channels at every frame."""
    return weights[f"{name}.weight"][:, :, 0] @ x + weights[f"{name}.bias"][:, None]
