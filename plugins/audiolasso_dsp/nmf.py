"""Non-negative matrix factorisation, V ~ W H, under the KL divergence.

Multiplicative updates (Lee & Seung, 2001): they keep every factor
non-negative without step sizes and converge in tens of iterations on
spectrograms. Columns of W are kept at unit sum so activations H carry the
energy and bases learnt on different material are comparable.
"""

from __future__ import annotations

import torch

from audiolasso_dsp.spectral import EPS


def activations(V: torch.Tensor, W: torch.Tensor, iters: int) -> torch.Tensor:
    """H >= 0 minimising KL(V | W H) for fixed bases ``W`` (F, K)."""
    H = torch.full((W.shape[1], V.shape[1]), float(V.mean()) + EPS)
    col_sums = W.sum(0)[:, None] + EPS
    for _ in range(iters):
        H = H * (W.T @ (V / (W @ H + EPS))) / col_sums
    return H


def learn(
    V: torch.Tensor, k: int, iters: int, fixed: torch.Tensor | None = None, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(W, H): ``k`` new bases learnt on ``V``, after the ``fixed`` bases (F, K0), which stay as they are.

    With ``fixed`` bases describing the other sounds in ``V``, the new bases
    learn only what those cannot explain (semi-supervised NMF).
    """
    g = torch.Generator().manual_seed(seed)
    new = torch.rand(V.shape[0], k, generator=g) + 0.1
    new = new / new.sum(0)
    n_fixed = 0 if fixed is None else fixed.shape[1]
    W = new if fixed is None else torch.cat([fixed, new], 1)
    H = torch.rand(W.shape[1], V.shape[1], generator=g) * float(V.mean()) + EPS
    for _ in range(iters):
        H = H * (W.T @ (V / (W @ H + EPS))) / (W.sum(0)[:, None] + EPS)
        ratio = V / (W @ H + EPS)
        grown = W[:, n_fixed:] * (ratio @ H[n_fixed:].T) / (H[n_fixed:].sum(1)[None, :] + EPS)
        scale = grown.sum(0, keepdim=True) + EPS
        W = torch.cat([W[:, :n_fixed], grown / scale], 1)
        H = torch.cat([H[:n_fixed], H[n_fixed:] * scale.T], 0)
    return W[:, n_fixed:], H
