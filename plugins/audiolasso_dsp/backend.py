"""The ``dsp`` backend: speech via DeepFilterNet3, drums via median-filter HPSS, on the CPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from audiolasso_dsp import hpss
from audiolasso_dsp.concepts import CONCEPTS, resolve
from audiolasso_dsp.deepfilter import SAMPLE_RATE, DeepFilter
from serve_app.backend import (
    Backend,
    BackendInfo,
    Capabilities,
    Resources,
    SeparationItem,
    SpanHint,
    UnsupportedPrompt,
)
from serve_app.prompts import parse_prompt

CAPABILITIES = (
    f'The "dsp" backend can isolate or remove: {", ".join(c.label for c in CONCEPTS.values())}. '
    'Try "isolate the speaker" or "remove the drums".'
)


class DSPBackend(Backend):
    info = BackendInfo(
        name="dsp",
        description="CPU default: DeepFilterNet3 speech enhancement and harmonic-percussive separation.",
        sample_rate=SAMPLE_RATE,
        capabilities=Capabilities(text=True, spans=False),
        chunk_seconds=10.0,
        overlap_seconds=1.0,
        max_batch_size=8,
        resources=Resources(num_cpus=1, num_gpus=0, memory_mb=1024),
    )

    _methods: dict[str, Callable[[np.ndarray], np.ndarray]] | None = None

    def interpret(self, prompt: str, spans: list[SpanHint]) -> dict[str, Any]:
        try:
            intent = parse_prompt(prompt)
        except ValueError as exc:
            raise UnsupportedPrompt(f"The prompt names no sound. {CAPABILITIES}") from exc
        resolved = resolve(intent)
        if resolved is None:
            raise UnsupportedPrompt(f'Cannot separate "{intent.target_phrase}". {CAPABILITIES}')
        concept, inverted = resolved
        return {"concept": concept.name, "inverted": inverted, "method": concept.method}

    def load(self, device: str) -> None:
        # Both methods run on the CPU whatever the device; the DFN library loads once.
        deepfilter = DeepFilter()
        self._methods = {
            "deepfilternet3": deepfilter.enhance,
            "hpss-median": lambda x: hpss.percussive(x, SAMPLE_RATE),
        }

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        if self._methods is None:
            raise RuntimeError("DSPBackend.load() must be called before separate()")
        return [self._separate_one(item) for item in batch]

    def _separate_one(self, item: SeparationItem) -> np.ndarray:
        audio = np.ascontiguousarray(item.audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"expected mono audio, got shape {audio.shape}")
        concept = CONCEPTS[item.plan["concept"]]
        estimate = self._methods[concept.method](audio)
        target = audio - estimate if item.plan["inverted"] else estimate
        return target.astype(np.float32, copy=False)
