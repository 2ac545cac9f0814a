"""Separating a mixture with one or more Separators: resample -> chunk ->
separate -> overlap-add, then the target track (the estimate, or the mixture
minus it for "remove" prompts). No I/O: audio in, audio out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import numpy as np

from serve_app.audio.chunking import OverlapAdd, excerpts, plan_windows
from serve_app.audio.resample import resample, resampled_length
from serve_app.backend import BackendInfo, Plan, SeparationItem, SpanHint, VisualPrompt
from serve_app.jobs.separator_client import SeparatorClient

# Called after each chunk with (done, total); returns True when the job must stop.
ProgressFn = Callable[[int, int], Awaitable[bool]]


class JobStopped(Exception):
    """The job was cancelled: stop without a result."""


def chunk_spans(spans: list[SpanHint], start_s: float, end_s: float) -> list[SpanHint]:
    """The spans overlapping [start_s, end_s), shifted to be chunk-relative."""
    return [
        SpanHint(start=max(s.start, start_s) - start_s, end=min(s.end, end_s) - start_s, include=s.include)
        for s in spans
        if s.start < end_s and s.end > start_s
    ]


def clip_spans(spans: list[SpanHint], duration_s: float) -> tuple[list[SpanHint], list[str]]:
    """The spans cut to [0, duration_s], and a warning for each one that reached past the end."""
    kept, warnings = [], []
    for s in spans:
        if s.end <= duration_s:
            kept.append(s)
            continue
        if s.start < duration_s:
            kept.append(SpanHint(start=s.start, end=duration_s, include=s.include))
            warnings.append(
                f"The span {s.start:g}-{s.end:g} s ends after the audio ({duration_s:.2f} s); it was cut there."
            )
        else:
            warnings.append(
                f"The span {s.start:g}-{s.end:g} s starts after the audio ({duration_s:.2f} s); it was ignored."
            )
    return kept, warnings


# A Separator and its plan for the job. A job has one member, or several whose
# estimates are averaged (a concept route to an ensemble, ``serve_app.routing``).
Member = tuple[SeparatorClient, Plan]


@dataclass
class _Layout:
    """One member's chunks: windows over the mixture at its backend's rate. That copy of the
    mixture is made when the member runs, so a job holds one at a time."""

    separator: SeparatorClient
    info: BackendInfo
    plan: Plan
    channels: int
    windows: list[tuple[int, int]]

    @property
    def chunks(self) -> list[tuple[int, int]]:
        """(channel, window index) of every chunk."""
        return [(ch, i) for ch in range(self.channels) for i in range(len(self.windows))]


async def _layout(mixture: np.ndarray, sample_rate: int, member: Member) -> _Layout:
    separator, plan = member
    info = await separator.info()
    window = max(1, int(round(info.chunk_seconds * info.sample_rate)))
    overlap = min(int(round(info.overlap_seconds * info.sample_rate)), window // 2)
    frames = resampled_length(mixture.shape[1], sample_rate, info.sample_rate)
    return _Layout(separator, info, plan, mixture.shape[0], plan_windows(frames, window, overlap))


async def separate_audio(
    mixture: np.ndarray,
    sample_rate: int,
    members: list[Member],
    spans: list[SpanHint],
    progress: ProgressFn,
    chunks_in_flight: int,
    inverted: bool = False,
    visual: VisualPrompt | None = None,
) -> np.ndarray:
    """The target track for ``mixture`` (channels, frames) at ``sample_rate``: the
    members' estimates of the planned sound, averaged, or, when ``inverted`` (the
    user asked to remove the sound), the mixture minus them, so "remove X" keeps
    what a backend never saw (above its Nyquist frequency) and a prompt and its
    opposite swap target and residual exactly. Members run one after another;
    progress counts the chunks of all of them."""
    layouts = [await _layout(mixture, sample_rate, member) for member in members]
    total = sum(len(layout.chunks) for layout in layouts)
    estimate = np.zeros_like(mixture)
    offset = 0
    for layout in layouts:

        async def counted(done: int, offset: int = offset) -> bool:
            return await progress(offset + done, total)

        rate = layout.info.sample_rate
        native = await asyncio.to_thread(resample, mixture, sample_rate, rate)
        if layout.plan.needs_prepare(spans):
            # Job-level context for every chunk (what the spans mark, or what the backend finds
            # itself: from at most 30 s of a job without spans); the downmix stands in for all channels.
            mono = native.mean(0) if spans else np.mean([excerpts(channel, rate) for channel in native], axis=0)
            layout.plan = await layout.separator.prepare(mono, rate, layout.plan, spans)
        separated = await _separate(layout, native, spans, counted, chunks_in_flight, visual)
        if layout.plan.estimates == "rest":  # the backend's own "all but the sound": the sound is the difference
            np.subtract(native, separated, out=separated)
        del native
        separated = await asyncio.to_thread(resample, separated, rate, sample_rate)
        separated /= len(layouts)
        n = min(estimate.shape[1], separated.shape[1])
        estimate[:, :n] += separated[:, :n]
        del separated
        offset += len(layout.chunks)
    if inverted:
        np.subtract(mixture, estimate, out=estimate)
    return estimate


async def _separate(
    layout: _Layout,
    native: np.ndarray,
    spans: list[SpanHint],
    progress: Callable[[int], Awaitable[bool]],
    chunks_in_flight: int,
    visual: VisualPrompt | None,
) -> np.ndarray:
    """One member's estimate at its backend's rate: every chunk through its Separator, overlap-added."""
    rate, chunks = layout.info.sample_rate, layout.chunks
    # Each piece is blended in as it arrives: the job never holds all of them at once.
    blend = OverlapAdd(layout.windows, native.shape[1], native.shape[:1])
    slots = asyncio.Semaphore(chunks_in_flight)
    done = 0
    stop = asyncio.Event()

    async def run(ch: int, i: int) -> None:
        nonlocal done
        try:
            start, end = layout.windows[i]
            # Not padded to the window: a short recording pays for its own length,
            # and backends that batch pad per batch.
            audio = np.ascontiguousarray(native[ch, start:end], dtype=np.float32)
            start_s, end_s = start / rate, end / rate
            item = SeparationItem(
                audio=audio,
                plan=layout.plan,
                spans=chunk_spans(spans, start_s, end_s),
                visual=None if visual is None else replace(visual, start_s=start_s, end_s=end_s),
            )
            blend.add(i, await layout.separator.separate(item), at=(ch,))
            done += 1
            if await progress(done):
                stop.set()
        finally:
            slots.release()

    tasks = []
    try:
        for ch, i in chunks:
            await slots.acquire()
            if stop.is_set():
                raise JobStopped()
            tasks.append(asyncio.create_task(run(ch, i)))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    if stop.is_set():
        raise JobStopped()
    return blend.result()
