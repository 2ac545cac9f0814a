"""The loaded dsp backend: a plan's recipe run on a chunk, and a job's span model learnt.

Imported by ``DSPBackend.load`` only (the recipes load DeepFilterNet's graphs): the
Ingress plans with ``choices.METHODS`` and never loads them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audiolasso_dsp import presence, spans
from audiolasso_dsp.choices import Method, span_kind
from audiolasso_dsp.deepfilter import SAMPLE_RATE, DeepFilter
from audiolasso_dsp.methods import RECIPES, Toolkit, in_pieces
from serve_app.backend import SpanHint


class Runner:
    """The models the recipes share (DeepFilterNet's graphs load once per replica)."""

    def __init__(self) -> None:
        self.kit = Toolkit(deepfilter=DeepFilter())

    def learn_span_model(
        self,
        audio: np.ndarray,
        sample_rate: int,
        method: Method,
        family: str,
        hints: list[SpanHint],
        piece_s: float,
    ) -> dict[str, Any] | None:
        """A span model (``spans``) learnt on the span base's estimate of ``audio``, or None.
        Without ``hints`` the estimate marks its own (``spans.self_marks``). The recipe runs on
        pieces of at most ``piece_s`` (the backend's chunk), so its memory stays a chunk's."""
        estimate = in_pieces(RECIPES[method.with_spans()], audio, self.kit, int(sample_rate * piece_s))
        if not hints:
            found = presence.score(estimate, audio, sample_rate, method.presence) if method.presence else None
            hints = spans.self_marks(estimate, audio, sample_rate, found)
        return spans.learn(estimate, sample_rate, hints, span_kind(family))

    def separate(self, audio: np.ndarray, method: Method, span_model: dict[str, Any] | None) -> np.ndarray:
        """The sound's estimate in one mono chunk at ``SAMPLE_RATE``."""
        if span_model is None:
            return RECIPES[method.name](audio, self.kit)
        return spans.apply(RECIPES[method.with_spans()](audio, self.kit), SAMPLE_RATE, span_model)
