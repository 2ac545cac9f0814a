"""The ``learned`` backend: the shipped mask network, queried with the prompt's phrase.

The service reads the prompt (which sound, keep or remove); the network estimates
the named sound from the phrase's MiniLM embedding and the span hints (the service
turns the estimate around for "remove X" prompts). Chunks of equal length are
stacked into one forward pass.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from audiolasso_learned import model as net
from audiolasso_learned.features import SAMPLE_RATE, istft, span_channel, stft
from serve_app.backend import Backend, BackendInfo, Capabilities, Plan, Resources, SeparationItem, SpanHint
from serve_app.understanding import embedding
from serve_app.understanding.reading import Reading, read

WEIGHTS = Path(__file__).parent / "data" / "learned.safetensors"


class LearnedBackend(Backend):
    info = BackendInfo(
        name="learned",
        description=(
            "A small text-queried mask network (MiniLM prompt embedding, FiLM, span-hint channel) "
            "trained on synthetic mixtures; runs on the CPU, weights shipped in the package."
        ),
        sample_rate=SAMPLE_RATE,
        capabilities=Capabilities(text=True, spans=True),
        chunk_seconds=10.0,
        overlap_seconds=1.0,
        max_batch_size=8,
        resources=Resources(num_cpus=1, num_gpus=0, memory_mb=1024),
    )

    _model: net.MaskNet | None = None
    _device: str = "cpu"

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        # Any phrase is a query for a text-conditioned network, "other" concepts included.
        return super().plan(reading, spans).model_copy(update={"method": "learned-mask"})

    def load(self, device: str) -> None:
        # options.weights: another trained model (e.g. a retrained one), from the Serve config.
        self._model = net.load(Path(self.options.get("weights", WEIGHTS)), device)
        self._device = device
        read("the speaker")  # load the prompt model now rather than in the first job

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        if self._model is None:
            raise RuntimeError("LearnedBackend.load() must be called before separate()")
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
        return dict(zip(phrases, torch.from_numpy(embedding.encode(phrases)).to(self._device), strict=True))

    def _forward(self, items: list[SeparationItem], texts: dict[str, torch.Tensor]) -> list[np.ndarray]:
        """One pass over equal-length chunks, each queried with its plan's sound."""
        assert self._model is not None
        mixture = torch.from_numpy(np.stack([np.asarray(i.audio, dtype=np.float32) for i in items])).to(self._device)
        with torch.inference_mode():
            spec = stft(mixture)
            spans = np.stack(
                [span_channel([(s.start, s.end, s.include) for s in i.spans], spec.shape[-1]) for i in items]
            )
            text = torch.stack([texts[i.plan.sound] for i in items])
            named = istft(self._model(spec, text, torch.from_numpy(spans).to(self._device)) * spec, mixture.shape[1])
        return list(named.cpu().numpy().astype(np.float32))
