"""Separation quality measures."""

from __future__ import annotations

import math

import numpy as np


def si_sdr(estimate: np.ndarray, reference: np.ndarray, eps: float = 1e-12) -> float:
    """Scale-invariant SDR in dB (Le Roux et al., 2019; both signals made zero-mean)."""
    est = np.asarray(estimate, dtype=np.float64).ravel()
    ref = np.asarray(reference, dtype=np.float64).ravel()
    if est.shape != ref.shape:
        raise ValueError(f"shapes differ: {est.shape} vs {ref.shape}")
    est = est - est.mean()
    ref = ref - ref.mean()
    target = (est @ ref) / (ref @ ref + eps) * ref
    error = est - target
    return 10.0 * math.log10((target @ target + eps) / (error @ error + eps))
