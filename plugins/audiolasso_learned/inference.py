"""The loaded mask network: a query (the phrase, with its concept's label) in, the named
sound's estimate out (numpy).

Imported by ``LearnedBackend.load`` only, so the Ingress, which plans with the
backend class, never loads the weights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from audiolasso_learned import SAMPLE_RATE, melody
from audiolasso_learned.backend import LearnedPlan
from audiolasso_learned.features import istft, span_channel, stft
from audiolasso_learned.network import Network
from serve_app.backend import Plan, SeparationItem, SpanHint
from serve_app.understanding import embedding
from serve_app.understanding.catalog import BY_NAME

# Level calibration. Trained with a scale-invariant loss and with negatives (the named sound
# absent -> silence), the network answers timbres it does not know with well-shaped but
# near-silent estimates (below -20 dB of the target on a quarter of heldout's cases). A user
# who names a sound expects it there, so each job's masks are scaled until their 99th
# percentile passes in full (at most +40 dB), clipped at 1. Measured on tune and dev, the
# network alone, with / without spans (docs/learned.md, "The network's level"): tune 3.38 /
# 2.78 -> 3.65 / 3.02, dev 5.14 / 4.26 -> 5.29 / 4.35.
LEVEL_QUANTILE = 0.99
MAX_GAIN = 100.0

# The query. The network was trained on the names people use ("tenor sax", "pizzicato strings")
# and meets other wordings at run time ("the fiddle part", "that brassy stuff"): for a sound of
# the catalog, the mean of the phrase's and its concept's label's embeddings steadies the query.
# Events keep the phrase alone: their concepts are broad ("animal") where the phrase says which.
# Chosen on tune and dev, the network alone, with / without spans (docs/learned.md, "The
# concept's label in the query"): tune 3.65 / 3.02 -> 4.05 / 3.50, dev 5.29 / 4.35 -> 5.33 / 4.41.
PHRASE_ALONE = frozenset({"event", "other"})

Query = tuple[str, str]  # (the plan's sound, its concept)


def query_vectors(plans: Iterable[Plan]) -> dict[Query, np.ndarray]:
    """Each plan's query embedding (unit length), by (sound, concept)."""
    return queries((plan.sound, plan.concept) for plan in plans)


def queries(
    keys: Iterable[Query], encode: Callable[[list[str]], np.ndarray] = embedding.encode
) -> dict[Query, np.ndarray]:
    """The query embedding (unit length) of each (phrase, concept): what serving sends, and what a
    training run with ``query: served`` trains on."""
    ordered = sorted(set(keys))
    labels = {key: label(key[1]) for key in ordered}
    texts = sorted({sound for sound, _ in ordered} | {text for text in labels.values() if text})
    vectors = dict(zip(texts, encode(texts), strict=True))
    out = {}
    for key in ordered:
        text = labels[key]
        query = vectors[key[0]] + vectors[text] if text else vectors[key[0]]
        out[key] = query / np.linalg.norm(query)
    return out


def label(concept: str) -> str | None:
    """The concept's label where it joins the query, else None."""
    known = BY_NAME.get(concept)
    return known.label if known and known.family not in PHRASE_ALONE else None


class Inference:
    """One loaded network. Chunks of equal length are stacked into one forward pass."""

    def __init__(self, weights: Path) -> None:
        self.network = Network(weights)

    def level_gain(self, audio: np.ndarray, plan: Plan, spans: list[SpanHint]) -> float:
        """The gain that lets the top ``1 - LEVEL_QUANTILE`` of the job's mask through in full."""
        item = SeparationItem(audio=audio, plan=plan, spans=spans)
        mask, _ = self._masks([item], query_vectors([plan]))
        return 1.0 / max(float(np.quantile(mask, LEVEL_QUANTILE)), 1.0 / MAX_GAIN)

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        queries = query_vectors(item.plan for item in batch)
        out: list[np.ndarray | None] = [None] * len(batch)
        by_length: dict[int, list[int]] = defaultdict(list)
        for i, item in enumerate(batch):
            if item.audio.ndim != 1:
                raise ValueError(f"expected mono audio, got shape {item.audio.shape}")
            by_length[len(item.audio)].append(i)
        for indices in by_length.values():
            for i, estimate in zip(indices, self._forward([batch[i] for i in indices], queries), strict=True):
                out[i] = estimate
        return out  # type: ignore[return-value]

    def _forward(self, items: list[SeparationItem], queries: dict[Query, np.ndarray]) -> list[np.ndarray]:
        """One pass over equal-length chunks, each with its plan's query, at its job's level."""
        masks, spec = self._masks(items, queries)
        gains = np.array([LearnedPlan.of(i.plan).gain for i in items], np.float32)
        named = istft(np.minimum(masks * gains[:, None, None], 1.0) * spec, items[0].audio.shape[-1])
        return [
            melody.refine(item.audio, estimate, SAMPLE_RATE) if LearnedPlan.of(item.plan).melody else estimate
            for item, estimate in zip(items, named, strict=True)
        ]

    def _masks(self, items: list[SeparationItem], queries: dict[Query, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The network's masks for equal-length items, and their spectrograms."""
        mixture = np.stack([np.asarray(i.audio, dtype=np.float32) for i in items])
        spec = stft(mixture)
        spans = np.stack([span_channel([(s.start, s.end, s.include) for s in i.spans], spec.shape[-1]) for i in items])
        text = np.stack([queries[(i.plan.sound, i.plan.concept)] for i in items]).astype(np.float32)
        return self.network.masks(spec, text, spans), spec
