"""The job-level ``prepare`` step of the backend contract, ensembles, inversion, and span clipping."""

from __future__ import annotations

import numpy as np

from serve_app.backend import Backend, BackendInfo, Capabilities, Plan, SeparationItem, SpanHint
from serve_app.jobs.separation import clip_spans, separate_audio
from serve_app.jobs.separator_client import LocalSeparator


class ContextBackend(Backend):
    """Scales each chunk by a gain that only ``prepare`` can know (it sees the whole job)."""

    info = BackendInfo(
        name="context", sample_rate=8000, chunk_seconds=1.0, overlap_seconds=0.25, capabilities=Capabilities(spans=True)
    )

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[tuple[np.ndarray, int, list[SpanHint]]] = []
        self.plans_seen: list[Plan] = []

    def load(self, device: str) -> None:
        pass

    def prepare(self, audio, sample_rate, plan, spans):
        self.prepared.append((audio.copy(), sample_rate, spans))
        return plan.model_copy(update={"gain": 0.5, "learnt": np.ones(3)})  # arrays may travel in the plan

    def separate(self, batch: list[SeparationItem]) -> list[np.ndarray]:
        self.plans_seen += [item.plan for item in batch]
        return [item.audio * item.plan.gain for item in batch]


def gain_plan(gain: float) -> Plan:
    return Plan(sound="x", concept="other", method="gain", gain=gain)


class PlainBackend(ContextBackend):
    prepare = Backend.prepare  # the default


async def never_stop(done: int, total: int) -> bool:
    return False


def stereo(seconds: float, sr: int) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return np.stack([np.sin(2 * np.pi * 220 * t), 0.5 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)


async def test_prepare_runs_once_on_the_whole_mixture_and_its_plan_reaches_every_chunk():
    backend = ContextBackend()
    mixture = stereo(3.3, 16000)
    spans = [SpanHint(start=0.5, end=1.0), SpanHint(start=2.0, end=3.0, include=False)]
    plan = gain_plan(1.0)
    target = await separate_audio(mixture, 16000, [(LocalSeparator(backend), plan)], spans, never_stop, 2)

    [(audio, sr, seen_spans)] = backend.prepared
    assert sr == 8000 and audio.ndim == 1 and len(audio) == int(3.3 * 8000)
    np.testing.assert_allclose(audio, mixture.mean(0)[::2], atol=0.02)  # the mono downmix at the backend rate
    assert seen_spans == spans  # job-relative, not cut per chunk
    assert len(backend.plans_seen) == 2 * 5 and all(p.gain == 0.5 for p in backend.plans_seen)
    np.testing.assert_allclose(target[:, 800:-800], 0.5 * mixture[:, 800:-800], atol=0.02)
    assert plan == gain_plan(1.0)  # the stored plan is not changed in place


async def test_without_spans_there_is_no_prepare_call():
    backend = ContextBackend()
    mixture = stereo(1.5, 8000)
    target = await separate_audio(mixture, 8000, [(LocalSeparator(backend), gain_plan(1.0))], [], never_stop, 2)
    assert backend.prepared == []
    np.testing.assert_allclose(target, mixture, atol=1e-5)


async def test_a_plan_may_ask_for_prepare_without_spans():
    """A backend that learns from the job itself (dsp's self-marking) sees the mixture: all of
    it when short, at most 30 s of a longer one."""
    backend = ContextBackend()
    mixture = stereo(1.5, 8000)
    plan = gain_plan(1.0).model_copy(update={"prepare_without_spans": True})
    target = await separate_audio(mixture, 8000, [(LocalSeparator(backend), plan)], [], never_stop, 2)
    [(audio, _, seen_spans)] = backend.prepared
    assert len(audio) == mixture.shape[1] and seen_spans == []
    np.testing.assert_allclose(target[:, 800:-800], 0.5 * mixture[:, 800:-800], atol=0.02)


async def test_default_prepare_returns_the_plan_unchanged():
    backend = PlainBackend()
    mixture = stereo(1.5, 8000)
    spans = [SpanHint(start=0.1, end=0.2)]
    target = await separate_audio(mixture, 8000, [(LocalSeparator(backend), gain_plan(1.0))], spans, never_stop, 2)
    assert all(p == gain_plan(1.0) for p in backend.plans_seen)
    np.testing.assert_allclose(target, mixture, atol=1e-5)


class CoarseBackend(PlainBackend):
    """Another rate and window, as a second member of an ensemble would have."""

    info = BackendInfo(name="coarse", sample_rate=16000, chunk_seconds=0.5, overlap_seconds=0.1)


async def test_an_ensemble_averages_its_members_and_counts_all_their_chunks():
    mixture = stereo(1.5, 8000)
    reports: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> bool:
        reports.append((done, total))
        return False

    members = [(LocalSeparator(PlainBackend()), gain_plan(1.0)), (LocalSeparator(CoarseBackend()), gain_plan(0.5))]
    target = await separate_audio(mixture, 8000, members, [], record, 2)
    np.testing.assert_allclose(target[:, 400:-400], 0.75 * mixture[:, 400:-400], atol=0.02)
    total = 2 * 2 + 2 * 4  # stereo: 2 windows of 1 s at 8 kHz, 4 of 0.5 s at 16 kHz
    assert reports == [(done, total) for done in range(1, total + 1)]


async def test_a_remove_prompt_gets_the_mixture_minus_the_estimate_once():
    """The backend estimates the named sound; the service turns it around, for every member alike."""
    mixture = stereo(1.5, 8000)
    members = [(LocalSeparator(PlainBackend()), gain_plan(0.2)), (LocalSeparator(CoarseBackend()), gain_plan(0.4))]
    target = await separate_audio(mixture, 8000, members, [], never_stop, 2, inverted=True)
    np.testing.assert_allclose(target[:, 400:-400], 0.7 * mixture[:, 400:-400], atol=0.02)


def test_spans_past_the_end_are_cut_or_dropped_with_a_warning():
    spans = [SpanHint(start=0, end=1), SpanHint(start=2, end=5, include=False), SpanHint(start=4, end=6)]
    kept, warnings = clip_spans(spans, 3.0)
    assert kept == [SpanHint(start=0, end=1), SpanHint(start=2, end=3.0, include=False)]
    assert len(warnings) == 2
    assert "2-5 s ends after the audio (3.00 s); it was cut there" in warnings[0]
    assert "4-6 s starts after the audio (3.00 s); it was ignored" in warnings[1]
    assert clip_spans(spans[:1], 3.0) == (spans[:1], [])
