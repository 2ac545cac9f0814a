"""A minimal out-of-tree backend: "the low end" -> everything below a cutoff.

It is deliberately simple (an FFT brick-wall mask) but real: it separates audio.
The option ``seconds_per_chunk`` slows it down so tests can catch a job mid-run.

``flaky`` is the same backend with failures to order, for the Separator's
failure isolation: a chunk whose sound names ``poison_word`` raises, and a
batch of more than ``oom_above_items`` chunks raises CUDA's out-of-memory error.
"""

import time

import numpy as np

from serve_app.backend import Backend, BackendInfo, Plan, Reading, SeparationItem, SpanHint, UnsupportedPrompt
from serve_app.hookspecs import hookimpl


class LowpassPlan(Plan):
    """A plan of one's own: the service carries it as a Plan, ``LowpassPlan.of`` gives it back."""

    cutoff_hz: float


class LowpassBackend(Backend):
    info = BackendInfo(
        name="lowpass",
        description="Keeps (or removes) everything below a cutoff frequency.",
        sample_rate=16000,
        chunk_seconds=2.0,
        overlap_seconds=0.25,
        max_batch_size=4,
        resources={"num_cpus": 0.25},
    )

    def plan(self, reading: Reading, spans: list[SpanHint]) -> Plan:
        # The service has read the prompt: which sound, and whether the user wants it
        # or everything except it ("remove the bass"). This backend only estimates the
        # sound; turning it around is the service's work.
        sound = reading.target.phrase
        if "low" not in sound and "bass" not in sound:
            raise UnsupportedPrompt('The "lowpass" backend only understands prompts about "the low end" or "the bass".')
        cutoff = float(self.options.get("cutoff_hz", 300.0))
        return LowpassPlan(
            sound=sound, concept=reading.target.concept, method=f"fft-lowpass-{cutoff:g}hz", cutoff_hz=cutoff
        )

    def load(self, device: str) -> None:
        self.delay = float(self.options.get("seconds_per_chunk", 0.0))

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        out = []
        for item in batch:
            time.sleep(self.delay)
            spectrum = np.fft.rfft(item.audio)
            freqs = np.fft.rfftfreq(len(item.audio), 1 / self.info.sample_rate)
            keep = freqs < LowpassPlan.of(item.plan).cutoff_hz
            out.append(np.fft.irfft(spectrum * keep, n=len(item.audio)).astype(np.float32))
        return out


class FlakyBackend(LowpassBackend):
    info = LowpassBackend.info.model_copy(
        update={"name": "flaky", "description": "lowpass, with a poisoned word and an out-of-memory threshold"}
    )

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        poison = str(self.options.get("poison_word", "poison"))
        if any(poison in item.plan.sound for item in batch):
            raise ValueError(f"this backend cannot take {poison!r} (a poisoned chunk)")
        limit = int(self.options.get("oom_above_items", 1_000_000))
        if len(batch) > limit:
            import torch

            raise torch.cuda.OutOfMemoryError(f"CUDA out of memory (test: a batch of {len(batch)} > {limit})")
        return super().separate(batch)


@hookimpl
def register_backends(register):
    register(LowpassBackend)
    register(FlakyBackend)
