"""The contract every separation backend implements.

A backend is a class registered through the ``register_backends`` hook
(see ``hookspecs.py``). The Separator deployment owns one instance per
replica and drives it through a small life cycle, in the spirit of
LitServe's setup / batch / predict / unbatch:

1. ``interpret(prompt, spans)`` — cheap and CPU-only; turns the user's request
   into a JSON-able *plan* or raises :class:`UnsupportedPrompt`. The worker
   calls it before fetching any audio so unservable jobs fail fast.
   A plan may carry ``warnings``: sentences the job's result shows the user.
2. ``load(device)`` — once per replica; loads weights onto ``device``.
3. ``prepare(audio, sample_rate, plan, spans)`` — optional, once per job that
   has span hints, on the whole mixture (mono, at the backend's rate) before
   any chunk: learn job-level context that a chunk cannot see (what the
   spanned regions sound like) and return the plan that travels with every
   chunk. Its additions may be numpy arrays; they are not stored. The default
   returns the plan unchanged.
4. ``separate(batch)`` — a list of :class:`SeparationItem` (chunks from any
   number of jobs) in, one target waveform per item out. Residual is always
   ``mixture - target`` and is computed by the service, not the backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field


class Capabilities(BaseModel):
    """Which prompt kinds a backend understands."""

    text: bool = True
    spans: bool = False
    visual: bool = False


class Resources(BaseModel):
    """What one replica of the backend needs (maps to ``ray_actor_options``)."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory_mb: int = 1024


class BackendInfo(BaseModel):
    """Static description of a backend, readable without loading it."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    description: str = ""
    variants: list[str] = ["default"]
    sample_rate: int = Field(gt=0, description="Native sample rate; audio is resampled to it.")
    capabilities: Capabilities = Capabilities()
    chunk_seconds: float = Field(10.0, gt=0, description="Preferred window length.")
    overlap_seconds: float = Field(1.0, ge=0, description="Overlap between windows.")
    max_batch_size: int = Field(8, ge=1, description="Preferred dynamic batch size.")
    resources: Resources = Resources()


class SpanHint(BaseModel):
    """A time-span hint in seconds, relative to the audio it travels with."""

    start: float
    end: float
    include: bool = True


@dataclass
class VisualPrompt:
    """A visual prompt: the video and its object mask (encoded files, e.g. mp4),
    cut to the seconds ``[start_s, end_s)`` of the chunk it travels with.
    Only backends that declare ``capabilities.visual`` receive one."""

    video: bytes
    mask: bytes
    start_s: float = 0.0
    end_s: float | None = None


@dataclass
class SeparationItem:
    """One chunk of one job: mono float32 audio at the backend's sample rate."""

    audio: np.ndarray
    plan: dict[str, Any]
    spans: list[SpanHint] = field(default_factory=list)
    visual: VisualPrompt | None = None


class UnsupportedPrompt(Exception):
    """The backend cannot serve this prompt; the message says what it can do."""


class BackendUnavailable(Exception):
    """The backend failed to load on its replicas; the message says why."""


# Options every backend accepts: a deployment may override the class's preferred windowing.
CHUNKING_OPTIONS = ("chunk_seconds", "overlap_seconds")


class Backend(ABC):
    """Base class for separation backends.

    ``info`` is set on the class (readable without an instance); an instance's
    ``info`` is the class's with the deployment's ``CHUNKING_OPTIONS`` applied,
    and is what the service uses to cut and batch audio.
    """

    info: BackendInfo

    def __init__(self, variant: str = "default", options: dict[str, Any] | None = None):
        if variant not in self.info.variants:
            raise ValueError(
                f"backend {self.info.name!r} has no variant {variant!r}; "
                f"choose one of {self.info.variants}"
            )
        self.variant = variant
        self.options = dict(options or {})
        overrides = {k: self.options[k] for k in CHUNKING_OPTIONS if k in self.options}
        if overrides:
            self.info = BackendInfo.model_validate({**self.info.model_dump(), **overrides})

    @abstractmethod
    def interpret(self, prompt: str, spans: list[SpanHint]) -> dict[str, Any]:
        """Return a JSON-able plan for this prompt or raise UnsupportedPrompt."""

    @abstractmethod
    def load(self, device: str) -> None:
        """Load models onto ``device`` ("cpu", "cuda", "cuda:1", ...)."""

    def prepare(
        self, audio: np.ndarray, sample_rate: int, plan: dict[str, Any], spans: list[SpanHint]
    ) -> dict[str, Any]:
        """Job-level step before chunking: ``audio`` is the whole mixture (mono float32
        at ``sample_rate``, the backend's), ``spans`` in seconds within it (already cut
        to its length). Returns the plan every chunk gets; backends without job-level
        context keep this default."""
        return plan

    @abstractmethod
    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        """Return one target waveform (same length as its input) per item."""
