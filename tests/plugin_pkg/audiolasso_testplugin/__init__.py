"""A minimal out-of-tree backend: "the low end" -> everything below a cutoff.

It is deliberately simple (an FFT brick-wall mask) but real: it separates audio.
The option ``seconds_per_chunk`` slows it down so tests can catch a job mid-run.
"""

import time

import numpy as np

from serve_app.backend import Backend, BackendInfo, SeparationItem, SpanHint, UnsupportedPrompt
from serve_app.hookspecs import hookimpl


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

    def interpret(self, prompt: str, spans: list[SpanHint]) -> dict:
        text = prompt.lower()
        if "low" not in text and "bass" not in text:
            raise UnsupportedPrompt('The "lowpass" backend only understands prompts about "the low end" or "the bass".')
        return {"inverted": text.startswith("remove"), "cutoff_hz": float(self.options.get("cutoff_hz", 300.0))}

    def load(self, device: str) -> None:
        self.delay = float(self.options.get("seconds_per_chunk", 0.0))

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        out = []
        for item in batch:
            time.sleep(self.delay)
            spectrum = np.fft.rfft(item.audio)
            freqs = np.fft.rfftfreq(len(item.audio), 1 / self.info.sample_rate)
            keep = freqs < item.plan["cutoff_hz"]
            if item.plan["inverted"]:
                keep = ~keep
            out.append(np.fft.irfft(spectrum * keep, n=len(item.audio)).astype(np.float32))
        return out


@hookimpl
def register_backends(register):
    register(LowpassBackend)
