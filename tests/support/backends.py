"""The service's own calls for a one-backend, one-chunk job, for tests of a backend alone."""

from __future__ import annotations

import numpy as np

from serve_app.backend import Backend, Plan, SeparationItem, SpanHint
from serve_app.understanding.reading import Reading, read


def plan_prompt(backend: Backend, prompt: str, spans: list[SpanHint] = ()) -> tuple[Reading, Plan]:
    """What the service does at submit: read the prompt, ask the backend's plan."""
    reading = read(prompt, marked=any(s.include for s in spans))
    return reading, backend.plan(reading, list(spans))


def separate_prompt(backend: Backend, audio: np.ndarray, prompt: str, spans: list[SpanHint] = ()) -> np.ndarray:
    """Read and plan, prepare (with spans, or where the plan asks), separate a loaded backend; then the target
    track: the estimate, or the mixture minus it for a "remove" prompt."""
    reading, plan = plan_prompt(backend, prompt, spans)
    if plan.needs_prepare(list(spans)):
        plan = backend.prepare(audio, backend.info.sample_rate, plan, list(spans))
    (estimate,) = backend.separate([SeparationItem(audio=audio, plan=plan, spans=list(spans))])
    assert estimate.shape == audio.shape and estimate.dtype == np.float32
    return audio - estimate if reading.inverted else estimate
