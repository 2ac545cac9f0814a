"""Non-negative matrix factorisation, V ~ W H, under the KL divergence.

Multiplicative updates (Lee & Seung, 2001): they keep every factor
non-negative without step sizes and converge in tens of iterations on
spectrograms. Columns of W are kept at unit sum so activations H carry the
energy and bases learnt on different material are comparable.
"""

from __future__ import annotations

import numpy as np

from audiolasso_dsp.spectral import EPS


def activations(V: np.ndarray, W: np.ndarray, iters: int) -> np.ndarray:
    """H >= 0 minimising KL(V | W H) for fixed bases ``W`` (F, K), in ``V``'s precision."""
    H = np.full((W.shape[1], V.shape[1]), float(V.mean()) + EPS, dtype=V.dtype)
    col_sums = W.sum(0)[:, None] + EPS
    for _ in range(iters):
        H = H * (W.T @ (V / (W @ H + EPS))) / col_sums
    return H


def learn(
    V: np.ndarray, k: int, iters: int, fixed: np.ndarray | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(W, H): ``k`` new bases learnt on ``V``, after the ``fixed`` bases (F, K0), which stay as they are.

    With ``fixed`` bases describing the other sounds in ``V``, the new bases
    learn only what those cannot explain (semi-supervised NMF).
    """
    rng = np.random.default_rng(seed)
    new = rng.random((V.shape[0], k), dtype=np.float32) + 0.1
    new /= new.sum(0)
    n_fixed = 0 if fixed is None else fixed.shape[1]
    W = new if fixed is None else np.concatenate([fixed, new], 1)
    H = rng.random((W.shape[1], V.shape[1]), dtype=np.float32) * float(V.mean()) + EPS
    for _ in range(iters):
        H = H * (W.T @ (V / (W @ H + EPS))) / (W.sum(0)[:, None] + EPS)
        ratio = V / (W @ H + EPS)
        grown = W[:, n_fixed:] * (ratio @ H[n_fixed:].T) / (H[n_fixed:].sum(1)[None, :] + EPS)
        scale = grown.sum(0, keepdims=True) + EPS
        W = np.concatenate([W[:, :n_fixed], grown / scale], 1)
        H = np.concatenate([H[:n_fixed], H[n_fixed:] * scale.T], 0)
    return W[:, n_fixed:], H
