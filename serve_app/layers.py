"""Neural-network layers in numpy, shared by the models the service runs without torch:
the prompt encoder (``understanding.embedding``) and the learned backend's mask network
(``audiolasso_learned.network``). Each computes what its torch counterpart does."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float, axis: int = -1) -> np.ndarray:
    """``torch.nn.LayerNorm`` over one ``axis`` of ``x``, its weight and bias laid along that axis."""
    mean = x.mean(axis, keepdims=True)
    var = ((x - mean) ** 2).mean(axis, keepdims=True)
    along = [1] * x.ndim
    along[axis] = -1
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(along) + bias.reshape(along)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its exact (erf) form, torch's default; a Python float keeps float32 input float32."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
