"""The loaded mask network: phrase embeddings in, the named sound's estimate out (numpy).

Imported by ``LearnedBackend.load`` only, so the Ingress, which plans with the
backend class, never loads the weights.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from audiolasso_learned.features import istft, span_channel, stft
from audiolasso_learned.network import Network
from serve_app.backend import SeparationItem
from serve_app.understanding import embedding


class Inference:
    """One loaded network. Chunks of equal length are stacked into one forward pass."""

    def __init__(self, weights: Path) -> None:
        self.network = Network(weights)

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        texts = self._embed(sorted({item.plan.sound for item in batch}))
        out: list[np.ndarray | None] = [None] * len(batch)
        by_length: dict[int, list[int]] = defaultdict(list)
        for i, item in enumerate(batch):
            if item.audio.ndim != 1:
                raise ValueError(f"expected mono audio, got shape {item.audio.shape}")
            by_length[len(item.audio)].append(i)
        for indices in by_length.values():
            for i, estimate in zip(indices, self._forward([batch[i] for i in indices], texts), strict=True):
                out[i] = estimate
        return out  # type: ignore[return-value]

    def _embed(self, phrases: list[str]) -> dict[str, np.ndarray]:
        return dict(zip(phrases, embedding.encode(phrases), strict=True))

    def _forward(self, items: list[SeparationItem], texts: dict[str, np.ndarray]) -> list[np.ndarray]:
        """One pass over equal-length chunks, each queried with its plan's sound."""
        mixture = np.stack([np.asarray(i.audio, dtype=np.float32) for i in items])
        spec = stft(mixture)
        spans = np.stack([span_channel([(s.start, s.end, s.include) for s in i.spans], spec.shape[-1]) for i in items])
        text = np.stack([texts[i.plan.sound] for i in items]).astype(np.float32)
        named = istft(self.network.masks(spec, text, spans) * spec, mixture.shape[1])
        return list(named)
