"""The ``learned`` backend: the shipped mask network, queried with the prompt's phrase.

The service reads the prompt (which sound, keep or remove); the network estimates
the named sound from the MiniLM embeddings of the phrase and of its concept's label
(``inference.query_vectors``) and the span hints (the service
turns the estimate around for "remove X" prompts). ``prepare`` sets the job's level
(``Inference.level_gain``); chunks of equal length are stacked into one forward pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audiolasso_learned import SAMPLE_RATE
from serve_app.audio.chunking import excerpts
from serve_app.backend import Backend, BackendInfo, Capabilities, Plan, Resources, SeparationItem, SpanHint
from serve_app.understanding.reading import Reading, read

if TYPE_CHECKING:
    from audiolasso_learned.inference import Inference

WEIGHTS = Path(__file__).parent / "data" / "learned.safetensors"


# Instruments that play one line at a time: the estimate's pitch line refines it (``melody``).
# Chosen on tune and dev (docs/learned.md, "One line's partials"); piano, guitar and organ play
# chords, and a bass's partials drown in the band's (a comb on them lost even with the true pitch).
ONE_LINE_INSTRUMENTS = frozenset({"brass", "woodwinds", "strings"})


class LearnedPlan(Plan):
    """The learned backend's plan: after ``prepare``, the gain its masks get for this job; and
    whether the estimate is refined by its pitch line's partials."""

    gain: float = 1.0
    melody: bool = False


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
        # Every job is prepared: its level is set from the network's masks over the whole job.
        planned = super().plan(reading, spans).model_dump()
        melody = planned["concept"] in ONE_LINE_INSTRUMENTS
        method = "learned-mask+melody-comb" if melody else "learned-mask"
        return LearnedPlan(**{**planned, "method": method, "melody": melody, "prepare_without_spans": True})

    def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        """The job's level gain, from at most 30 s of it. With span hints the service sends the
        whole job; a longer one is sampled, and its spans (whose times the excerpts do not keep)
        are then left out of the gain's masks."""
        sample = excerpts(audio, sample_rate)
        gain = self._loaded().level_gain(sample, plan, spans if sample.shape == audio.shape else [])
        return LearnedPlan.of(plan).model_copy(update={"gain": gain})

    def load(self, device: str) -> None:
        from audiolasso_learned.inference import Inference  # the weights: in the Separator, not the planning Ingress

        # options.weights: another trained model (e.g. a retrained one), from the Serve config.
        # The network runs on the CPU whatever the device: it is small enough not to need one.
        self._inference = Inference(Path(self.options.get("weights", WEIGHTS)))
        read("the speaker")  # load the prompt model now rather than in the first job

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        return self._loaded().separate(batch)

    def _loaded(self) -> Inference:
        if self._inference is None:
            raise RuntimeError("LearnedBackend.load() must be called before separate() or prepare()")
        return self._inference
