"""The ``dsp`` backend: every concept of the shared catalog, separated on the CPU.

The service reads the prompt; the reading's closest catalog concept picks a
method (``choices.METHODS``), so a sound outside the catalog is served as its
nearest concept, with a warning, and refused only when nothing is near. Span
hints train a per-job model in ``prepare`` that refines the method's estimate
in every chunk (``spans``); without them, a sound that comes and goes (an event)
marks its own spans from the method's estimate, and the same model is learnt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from audiolasso_dsp.choices import METHODS, span_kind
from audiolasso_dsp.deepfilter import SAMPLE_RATE
from serve_app.backend import (
    Backend,
    BackendInfo,
    Capabilities,
    Plan,
    Resources,
    SeparationItem,
    SpanHint,
    UnsupportedPrompt,
)
from serve_app.understanding.catalog import BY_NAME
from serve_app.understanding.reading import Reading, read

if TYPE_CHECKING:
    from audiolasso_dsp.runner import Runner


class DSPPlan(Plan):
    """The dsp's own plan: the sound's family and (after ``prepare``) a span model; its concept
    names the recipe (``choices.METHODS``)."""

    family: str
    span_model: dict[str, Any] | None = None


# Spans teach from the audio around them: enough context for the recipes'
# filters to settle, bounded so a long file costs little extra.
SPAN_CONTEXT_S = 10.0


class DSPBackend(Backend):
    info = BackendInfo(
        name="dsp",
        description=(
            "CPU default: DeepFilterNet3 for voices, harmonic-percussive separation, NMF instrument "
            "dictionaries and background modelling for everything else; span hints train per-job models."
        ),
        sample_rate=SAMPLE_RATE,
        capabilities=Capabilities(text=True, spans=True),
        chunk_seconds=10.0,
        overlap_seconds=1.0,
        max_batch_size=8,
        resources=Resources(num_cpus=1, num_gpus=0, memory_mb=1536),
    )

    _runner: Runner | None = None

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        target = reading.target
        if target.concept == "other" and not spans:
            # Nothing to go on: no recipe for the sound and no marked example of it.
            raise UnsupportedPrompt(
                f'"{target.phrase}" is not a sound the dsp backend knows, nor close to one. It separates: '
                f'{_known_labels()}. Name one of those ("isolate the speaker", "remove the drums"), or mark '
                "where the sound is with span hints."
            )
        method = METHODS[target.concept]
        if spans:
            name = f"{method.with_spans()}+span-{span_kind(target.family)}"
        elif method.self_marks:
            name = f"{method.name}+self-marked-{span_kind(target.family)}"
        else:
            name = method.name
        warnings = []
        if target.concept != "other" and not target.exact and not reading.vague:
            label = BY_NAME[target.concept].label
            warnings.append(
                f'The dsp backend has no model of "{target.phrase}" itself; it separates it as {label}, the '
                "closest sound it knows. Mark where the sound is with span hints for a closer result."
            )
        return DSPPlan(
            sound=target.phrase,
            concept=target.concept,
            method=name,
            family=target.family,
            warnings=warnings,
            prepare_without_spans=not spans and method.self_marks,
        )

    def load(self, device: str) -> None:
        from audiolasso_dsp.runner import Runner  # the models: in the Separator, not the planning Ingress

        # Every recipe runs on the CPU whatever the device; DeepFilterNet loads once.
        self._runner = Runner()
        read("the speaker")  # load the prompt model now rather than in the first job

    def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        """Learn a span model from the estimate around the spans (see ``spans``), or from
        marks of its own where the plan says so; without one (the spans teach nothing),
        chunks get the plain recipe."""
        plan = DSPPlan.of(plan)
        if spans:
            context, hints = _around(audio, sample_rate, spans)
        elif plan.prepare_without_spans:
            # Self-marking, on what the service sends without spans: at most 30 s, evenly spread
            # excerpts of a longer job (a sound that comes and goes recurs).
            context, hints = np.ascontiguousarray(audio, dtype=np.float32), []
        else:
            return plan
        if not len(context):
            return plan
        model = self._loaded().learn_span_model(
            context, sample_rate, METHODS[plan.concept], plan.family, hints, self.info.chunk_seconds
        )
        return plan if model is None else plan.model_copy(update={"span_model": model})

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        runner = self._loaded()
        return [self._separate_one(item, runner) for item in batch]

    def _loaded(self) -> Runner:
        if self._runner is None:
            raise RuntimeError("DSPBackend.load() must be called before separate() or prepare()")
        return self._runner

    def _separate_one(self, item: SeparationItem, runner: Runner) -> np.ndarray:
        audio = np.ascontiguousarray(item.audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"expected mono audio, got shape {audio.shape}")
        plan = DSPPlan.of(item.plan)
        estimate = runner.separate(audio, METHODS[plan.concept], plan.span_model)
        return estimate.astype(np.float32, copy=False)


def _around(audio: np.ndarray, sample_rate: int, spans: list[SpanHint]) -> tuple[np.ndarray, list[SpanHint]]:
    """The audio the spans mark with ``SPAN_CONTEXT_S`` either side, and the spans within it."""
    start = max(0, int((min(s.start for s in spans) - SPAN_CONTEXT_S) * sample_rate))
    stop = min(len(audio), int((max(s.end for s in spans) + SPAN_CONTEXT_S) * sample_rate))
    offset = start / sample_rate
    shifted = [SpanHint(start=s.start - offset, end=s.end - offset, include=s.include) for s in spans]
    return np.ascontiguousarray(audio[start : max(start, stop)], dtype=np.float32), shifted


def _known_labels() -> str:
    # "; " between labels: some hold commas ("alarms, bells and phones")
    return "; ".join(c.label for c in BY_NAME.values() if c.name != "other")
