"""The ``sam-audio`` backend adapter, against ``sam_fake`` (a stand-in with the
real SAMAudio / SAMAudioProcessor call signatures: the real package and its
weights cannot exist on a machine without a GPU and network access)."""

from __future__ import annotations

import asyncio
import sys

import numpy as np
import pydantic
import pytest
import torch

from audiolasso_sam import video
from audiolasso_sam.anchors import to_anchors
from audiolasso_sam.backend import SAMAudioBackend
from audiolasso_sam.batching import MemoryModel, plan_sub_batches
from audiolasso_sam.loader import SAMLoadError
from audiolasso_sam.options import SAMOptions
from serve_app.audio.chunking import plan_windows
from serve_app.backend import SeparationItem, SpanHint, VisualPrompt
from serve_app.deployments.separator import Separator
from serve_app.jobs.separation import separate_audio
from serve_app.jobs.separator_client import LocalSeparator
from serve_app.registry import backends
from support import sam_fake
from support.backends import plan_prompt

SR = 48_000


@pytest.fixture
def fake(monkeypatch, tmp_path) -> sam_fake.Calls:
    return sam_fake.install(monkeypatch, tmp_path / "sam-audio-small")


def loaded(tmp_path, variant: str = "small", **options) -> SAMAudioBackend:
    backend = SAMAudioBackend(variant, {"model_path": str(tmp_path / "sam-audio-small"), **options})
    backend.load("cpu")
    return backend


def item(seconds: float, prompt: str = "isolate the dog bark", spans=(), backend=None, seed=0) -> SeparationItem:
    audio = np.random.default_rng(seed).standard_normal(int(seconds * SR)).astype(np.float32)
    _, plan = plan_prompt(backend or SAMAudioBackend("small"), prompt, list(spans))
    return SeparationItem(audio=audio, plan=plan, spans=list(spans))


def test_registered_through_the_entry_point_with_every_variant():
    cls = backends()["sam-audio"]
    assert cls is SAMAudioBackend
    assert cls.info.variants == ["small", "base", "large", "small-tv", "base-tv", "large-tv"]
    assert cls.info.sample_rate == 48000 and cls.info.capabilities.spans and not cls.info.capabilities.visual
    assert (cls.info.chunk_seconds, cls.info.overlap_seconds) == (60.0, 5.0)
    with pytest.raises(ValueError, match="no variant 'huge'"):
        cls("huge")


@pytest.mark.parametrize(
    "given, parsed",
    [("fp32", "float32"), ("BF16", "bfloat16"), ("bfloat16", "bfloat16"), ("fp16", "float16"), ("half", "float16")],
)
def test_dtype_option_accepts_the_usual_spellings(given, parsed):
    assert SAMOptions.model_validate({"dtype": given}).dtype == parsed


@pytest.mark.parametrize(
    "options",
    [{"dtype": "fp8"}, {"reranking_candidates": 0}, {"ode_steps": 0}, {"memory_budget_gb": -1}, {"modle_path": "/x"}],
)
def test_bad_options_fail_at_construction(options):
    with pytest.raises(pydantic.ValidationError):
        SAMAudioBackend("large", options)


def test_deployment_options_override_windowing_and_visual_per_instance():
    backend = SAMAudioBackend("large", {"chunk_seconds": 20, "overlap_seconds": 2, "visual": True})
    assert (backend.info.chunk_seconds, backend.info.overlap_seconds) == (20.0, 2.0)
    assert backend.info.capabilities.visual
    assert SAMAudioBackend.info.chunk_seconds == 60.0 and not SAMAudioBackend.info.capabilities.visual


@pytest.mark.parametrize(
    "prompt, sound, inverted",
    [
        ("Please isolate the lead vocal", "lead vocal", False),
        ("remove the crowd noise", "crowd noise", True),
        ("remove everything except the drums", "drums", False),
        ("extract the cuckoo calls", "cuckoo calls", False),  # open vocabulary: the phrase itself
        ("drumless version", "drums", True),
    ],
)
def test_the_model_is_queried_with_the_clean_sound_never_the_instruction(prompt, sound, inverted):
    reading, plan = plan_prompt(SAMAudioBackend("small"), prompt)
    assert (plan.sound, reading.inverted) == (sound, inverted)


def test_spans_map_to_anchors_on_the_sound_queried():
    spans = [SpanHint(start=0.5, end=1.25, include=True), SpanHint(start=2.0, end=3.0, include=False)]
    assert to_anchors(spans) == [["+", 0.5, 1.25], ["-", 2.0, 3.0]]


def test_sub_batches_fit_the_memory_budget():
    memory = MemoryModel(bytes_per_second=1.0, candidates=2, budget_bytes=100.0)
    # Longest first; 2 candidates x 20 s = 40 per item: two fit, a third would not.
    assert plan_sub_batches([10, 20, 20, 20, 5], ["a"] * 5, memory) == [[1, 2], [3, 0], [4]]
    # Groups never share a call; an item over budget runs alone rather than never.
    assert plan_sub_batches([60, 1, 1], ["a", "b", "a"], memory) == [[0], [2], [1]]


def test_load_fails_clearly_without_the_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sam_audio", None)  # what an absent package looks like to import
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SAMLoadError, match=r"sam_audio package is not installed.*pip install 'git\+https://github"):
        SAMAudioBackend("large", {"model_path": str(tmp_path)}).load("cpu")


def test_load_fails_clearly_without_weights(fake, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SAMLoadError) as missing:
        SAMAudioBackend("large", {"model_path": str(empty)}).load("cpu")
    assert "missing config.json, checkpoint.pt" in str(missing.value)
    assert f"huggingface-cli download facebook/sam-audio-large --local-dir {empty}" in str(missing.value)
    with pytest.raises(SAMLoadError, match="set options.model_path"):
        SAMAudioBackend("large").load("cpu")
    assert fake.from_pretrained == []


def test_load_builds_only_the_models_the_settings_use(fake, tmp_path):
    loaded(tmp_path)
    loaded(tmp_path, reranking_candidates=4, predict_spans=True, text_encoder_path="/models/t5-base")
    lean, full = fake.from_pretrained
    assert lean["local_files_only"] is True
    assert lean["text_ranker"] is None and lean["visual_ranker"] is None and lean["span_predictor"] is None
    assert not {"text_ranker", "visual_ranker", "span_predictor"} & set(full)
    assert full["text_encoder"] == {"name": "/models/t5-base", "max_length": 512}


def test_a_batch_is_collated_into_one_call_and_each_item_restored(fake, tmp_path):
    backend = loaded(tmp_path, memory_budget_gb=100)
    spans = [SpanHint(start=0.25, end=0.5)]
    batch = [
        item(1.01, backend=backend),
        item(0.3, "remove the hum", spans, backend, seed=1),
        item(0.77, "keep the piano", backend=backend, seed=2),
    ]
    out = backend.separate(batch)
    (call,) = fake.processor
    assert sorted(call["lengths"], reverse=True) == call["lengths"] == [48480, 36960, 14400]
    assert call["descriptions"] == ["dog bark", "piano", "hum"]
    assert call["anchors"] == [[], [], [["+", 0.25, 0.5]]]  # where the hum sounds, also for "remove"
    for it, estimate in zip(batch, out, strict=True):
        assert estimate.dtype == np.float32 and estimate.shape == it.audio.shape
        np.testing.assert_allclose(estimate, 0.5 * it.audio, atol=1e-6)  # the service inverts, not the backend


def test_a_batch_over_the_memory_budget_is_split(fake, tmp_path):
    # 10 MB/s at float32; 2 s items cost 20 MB each: two per 45 MB call.
    backend = loaded(tmp_path, memory_budget_gb=45 / 1024, activation_mb_per_second=10)
    batch = [item(2.0, backend=backend, seed=i) for i in range(5)]
    out = backend.separate(batch)
    assert [c["items"] for c in fake.separate] == [2, 2, 1]
    for it, target in zip(batch, out, strict=True):
        np.testing.assert_allclose(target, 0.5 * it.audio, atol=1e-6)


def test_half_precision_fits_more_items_in_the_same_budget(fake, tmp_path):
    # The dtype scales the per-second estimate, so bf16 fits more items in the same budget.
    backend = loaded(tmp_path, memory_budget_gb=45 / 1024, activation_mb_per_second=10, dtype="bf16")
    backend.separate([item(2.0, backend=backend, seed=i) for i in range(5)])
    assert [c["items"] for c in fake.separate] == [3, 2]


def test_solver_and_reranking_settings_reach_separate(fake, tmp_path):
    backend = loaded(tmp_path, ode_method="euler", ode_steps=8, reranking_candidates=3)
    backend.separate([item(0.5, backend=backend)])
    (call,) = fake.separate
    assert call["ode_opt"] == {"method": "euler", "options": {"step_size": 0.125}}
    assert call["reranking_candidates"] == 3 and call["predict_spans"] is False


def test_span_prediction_runs_only_for_items_without_user_spans(fake, tmp_path):
    backend = loaded(tmp_path, predict_spans=True)
    spans = [SpanHint(start=0.1, end=0.2)]
    backend.separate([item(0.5, backend=backend), item(0.5, "the dog", spans, backend), item(0.4, backend=backend)])
    by_anchors = {c["anchors"] is None: c for c in fake.processor}
    assert [len(c["lengths"]) for c in (by_anchors[True], by_anchors[False])] == [2, 1]
    assert {c["items"]: c["predict_spans"] for c in fake.separate} == {2: True, 1: False}


def test_long_audio_is_windowed_per_deployment_and_blended_without_seams(fake, tmp_path):
    backend = loaded(tmp_path, chunk_seconds=2.0, overlap_seconds=0.5)
    mixture = np.random.default_rng(3).standard_normal((2, int(7.3 * SR))).astype(np.float32)
    spans = [SpanHint(start=3.2, end=4.0, include=True)]

    async def progress(done: int, total: int) -> bool:
        return False

    _, plan = plan_prompt(backend, "the bell", spans)
    target = asyncio.run(
        separate_audio(mixture, SR, [(LocalSeparator(backend), plan)], spans, progress, chunks_in_flight=4)
    )
    windows = plan_windows(mixture.shape[1], 2 * SR, SR // 2)
    assert len(fake.processor) == 2 * len(windows)  # one call per chunk in-process, both channels
    # The deployment's window; the last one is shorter (not padded).
    assert {length for c in fake.processor for length in c["lengths"]} == {end - start for start, end in windows}
    assert max(end - start for start, end in windows) == 2 * SR
    anchors = sorted(anchor for c in fake.processor if c["anchors"] for anchor in c["anchors"][0])
    # The span 3.2-4.0 s, in seconds of the windows 1.5-3.5 s and 3.0-5.0 s it overlaps.
    assert anchors == [["+", pytest.approx(0.2), pytest.approx(1.0)]] * 2 + [["+", pytest.approx(1.7), 2.0]] * 2
    np.testing.assert_allclose(target, 0.5 * mixture, atol=1e-6)


def test_visual_prompts_reach_the_model_cut_to_each_chunk(fake, tmp_path, monkeypatch):
    # read_frames wraps OpenCV (installed with sam_audio); frames here encode their own index.
    frames = torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1).expand(100, 3, 2, 2)
    monkeypatch.setattr(
        video, "read_frames", lambda data: (frames if data == b"video" else torch.zeros_like(frames), 10.0)
    )
    backend = loaded(tmp_path, visual=True)
    prompt = VisualPrompt(video=b"video", mask=b"mask", start_s=2.0, end_s=2.5)
    with_video = item(0.5, backend=backend)
    with_video.visual = prompt
    backend.separate([with_video, item(0.5, backend=backend, seed=1)])
    visual, plain = sorted(fake.processor, key=lambda c: c["masked_videos"] is None)
    (masked,) = visual["masked_videos"]
    assert masked[:, 0, 0, 0].tolist() == [20, 21, 22, 23, 24]  # seconds 2.0-2.5 at 10 fps, mask 0 keeps all
    assert plain["masked_videos"] is None


def test_a_separator_whose_backend_fails_to_load_stays_up_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sam_audio", None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    replica = Separator.func_or_class("sam-audio", "large", {"model_path": str(tmp_path)}, "cpu")
    status = asyncio.run(replica.status())
    assert status.available is False and status.device == "cpu"
    assert status.error.startswith("Backend sam-audio:large failed to load: the sam_audio package is not installed")
    assert asyncio.run(replica.info()).name == "sam-audio"  # still describes itself
