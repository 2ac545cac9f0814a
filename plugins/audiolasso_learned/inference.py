"""The loaded mask network: phrase embeddings in, the named sound's estimate out (torch).

Imported by ``LearnedBackend.load`` only, so the Ingress, which plans with the
backend class, never loads torch.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from audiolasso_learned import model as net
from audiolasso_learned.features import istft, span_channel, stft
from serve_app.backend import SeparationItem
from serve_app.understanding import embedding


class Inference:
    """One loaded network on one device. Chunks of equal length are stacked into one forward pass."""

    def __init__(self, weights: Path, device: str) -> None:
        self.model = net.load(weights, device)
        self.device = device

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

    def _embed(self, phrases: list[str]) -> dict[str, torch.Tensor]:
        return dict(zip(phrases, torch.from_numpy(embedding.encode(phrases)).to(self.device), strict=True))

    def _forward(self, items: list[SeparationItem], texts: dict[str, torch.Tensor]) -> list[np.ndarray]:
        """One pass over equal-length chunks, each queried with its plan's sound."""
        mixture = torch.from_numpy(np.stack([np.asarray(i.audio, dtype=np.float32) for i in items])).to(self.device)
        with torch.inference_mode():
            spec = stft(mixture)
            spans = np.stack(
                [span_channel([(s.start, s.end, s.include) for s in i.spans], spec.shape[-1]) for i in items]
            )
            text = torch.stack([texts[i.plan.sound] for i in items])
            named = istft(self.model(spec, text, torch.from_numpy(spans).to(self.device)) * spec, mixture.shape[1])
        return list(named.cpu().numpy().astype(np.float32))
