"""The contract every separation backend implements.

A backend is a class registered through the ``register_backends`` hook
(see ``hookspecs.py``). The Separator deployment owns one instance per
replica and drives it through a small life cycle, in the spirit of
LitServe's setup / batch / predict / unbatch:

1. ``plan(reading, spans)`` — cheap, CPU-only, and callable without ``load``:
   the service has already read the prompt (:class:`Reading`: which sound, and
   whether the user wants it or everything except it); the backend says how it
   will separate that sound (a :class:`Plan`) or raises :class:`UnsupportedPrompt`.
   The Ingress calls it at submit, so an unservable prompt is refused before
   it is queued.
2. ``load(device)`` — once per replica; loads weights onto ``device``.
3. ``prepare(audio, sample_rate, plan, spans)`` — optional, once per job that
   has span hints, on the whole mixture (mono, at the backend's rate) before
   any chunk: learn job-level context that a chunk cannot see (what the
   spanned regions sound like) and return the plan that travels with every
   chunk. A plan that sets ``prepare_without_spans`` is prepared without span
   hints too, on at most 30 s of the mixture (evenly spread excerpts of a
   longer one: ``audio.chunking.excerpts``). Its additions may be numpy
   arrays; they are not stored. The default returns the plan unchanged.
4. ``separate(batch)`` — a list of :class:`SeparationItem` (chunks from any
   number of jobs) in, one estimate of the plan's sound per item out (or, where
   the plan says ``estimates="rest"``, of everything but it).

A backend estimates the sound it is given. When the user asked to remove it
("remove the drums"), the service turns the estimate into the target track
(mixture - estimate), and the residual is always mixture - target; both are the
service's work, never the backend's. A model that generates the rest itself
(SAM Audio's ``residual``) may plan ``estimates="rest"`` for such a prompt: its
output is then taken as the mixture minus the sound, which makes the target
track that output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from serve_app.understanding.reading import Reading

__all__ = [
    "Backend",
    "BackendInfo",
    "Capabilities",
    "Plan",
    "Reading",
    "Resources",
    "SeparationItem",
    "SpanHint",
    "UnsupportedPrompt",
    "VisualPrompt",
    "CHUNKING_OPTIONS",
]


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


class Plan(BaseModel):
    """How a backend will separate one job's sound: the same for every chunk.

    ``sound`` is what to estimate (a text-queried model gets it as its query);
    ``concept`` the catalog concept it is served as. A backend may add fields
    of its own, best as a subclass (JSON-able ones are stored with the job;
    ``prepare`` may add arrays that only travel with the chunks). The service
    carries plans as this base type, extra fields included: ``MyPlan.of(plan)``
    gives one back in the backend's own type."""

    model_config = ConfigDict(extra="allow")

    sound: str = Field(description="The sound to estimate, in words (the reading's phrase).")
    concept: str = Field(description="The catalog concept it is served as ('other' when none).")
    method: str = Field(description="How the backend separates it, for the user to see.")
    warnings: list[str] = Field([], description="Sentences the job's status and result show the user.")
    estimates: Literal["sound", "rest"] = Field(
        "sound",
        description="What separate() returns for this plan: the sound, or everything but it (a model's own "
        "complement, for a prompt that removes the sound).",
    )

    prepare_without_spans: bool = Field(
        False,
        description="Run the backend's prepare() even when the job has no span hints, on at most 30 s of the "
        "mixture (a backend that learns from the job itself: where the sound is, its level).",
    )

    def needs_prepare(self, spans: list[SpanHint]) -> bool:
        """Whether the service calls the backend's ``prepare`` for a job with this plan."""
        return bool(spans) or self.prepare_without_spans

    @classmethod
    def of(cls, plan: Plan) -> Self:
        """``plan`` as this (sub)class, its extra fields validated as the subclass's own."""
        return plan if isinstance(plan, cls) else cls.model_validate(plan.model_dump())


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
    plan: Plan
    spans: list[SpanHint] = field(default_factory=list)
    visual: VisualPrompt | None = None


class UnsupportedPrompt(Exception):
    """The backend cannot serve this prompt; the message says what it can do."""


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
                f"backend {self.info.name!r} has no variant {variant!r}; choose one of {self.info.variants}"
            )
        self.variant = variant
        self.options = dict(options or {})
        overrides = {k: self.options[k] for k in CHUNKING_OPTIONS if k in self.options}
        if overrides:
            self.info = BackendInfo.model_validate({**self.info.model_dump(), **overrides})

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        """How this backend separates the reading's sound, or raise UnsupportedPrompt.
        The default suits a text-queried model: it separates the phrase itself."""
        target = reading.target
        return Plan(sound=target.phrase, concept=target.concept, method=self.info.name)

    @abstractmethod
    def load(self, device: str) -> None:
        """Load models onto ``device`` ("cpu", "cuda", "cuda:1", ...)."""

    def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        """Job-level step before chunking: ``audio`` is the whole mixture (mono float32
        at ``sample_rate``, the backend's), ``spans`` in seconds within it (already cut
        to its length). Returns the plan every chunk gets; backends without job-level
        context keep this default."""
        return plan

    @abstractmethod
    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        """Return one estimate of each item's ``plan.sound`` (same length as its audio)."""
