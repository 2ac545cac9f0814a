"""The ``learned`` backend: the shipped mask network, queried with the prompt's phrase.

The service reads the prompt (which sound, keep or remove); the network estimates
the named sound from the phrase's MiniLM embedding and the span hints (the service
turns the estimate around for "remove X" prompts). Chunks of equal length are
stacked into one forward pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audiolasso_learned import SAMPLE_RATE
from serve_app.backend import Backend, BackendInfo, Capabilities, Plan, Resources, SeparationItem, SpanHint
from serve_app.understanding.reading import Reading, read

if TYPE_CHECKING:
    from audiolasso_learned.inference import Inference

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

    _inference: Inference | None = None

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        # Any phrase is a query for a text-conditioned network, "other" concepts included.
        return super().plan(reading, spans).model_copy(update={"method": "learned-mask"})

    def load(self, device: str) -> None:
        from audiolasso_learned.inference import Inference  # the weights: in the Separator, not the planning Ingress

        # options.weights: another trained model (e.g. a retrained one), from the Serve config.
        # The network runs on the CPU whatever the device: it is small enough not to need one.
        self._inference = Inference(Path(self.options.get("weights", WEIGHTS)))
        read("the speaker")  # load the prompt model now rather than in the first job

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        if self._inference is None:
            raise RuntimeError("LearnedBackend.load() must be called before separate()")
        return self._inference.separate(batch)
