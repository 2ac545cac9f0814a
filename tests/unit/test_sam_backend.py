"""The ``sam-audio`` backend adapter, against ``sam_fake`` (a stand-in with the
real sam_audio signatures at the pinned commit; test_sam_real_code.py runs the
real code where it is installed)."""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np
import pydantic
import pytest
import torch

from audiolasso_sam import loader, video
from audiolasso_sam.anchors import to_anchors
from audiolasso_sam.backend import SAMAudioBackend
from audiolasso_sam.batching import MemoryModel, plan_sub_batches
from audiolasso_sam.loader import SAMLoadError
from audiolasso_sam.options import SAMOptions
from serve_app.audio.chunking import plan_windows
from serve_app.backend import SeparationItem, SpanHint, VisualPrompt
from serve_app.deployments.separator import Separator
from serve_app.errors import ServiceError
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
    paths = {"model_path": str(tmp_path / "sam-audio-small"), "text_encoder_path": str(tmp_path / "sam-audio-small-t5")}
    backend = SAMAudioBackend(variant, {**paths, **options})
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
    with pytest.raises(
        SAMLoadError, match=r"sam_audio package is not installed.*pip install 'sam_audio @ git\+https://"
    ):
        SAMAudioBackend("large", {"model_path": str(tmp_path)}).load("cpu")


def test_load_fails_clearly_without_weights(fake, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SAMLoadError) as missing:
        SAMAudioBackend("large", {"model_path": str(empty)}).load("cpu")
    assert "missing config.json, checkpoint.pt" in str(missing.value)
    assert f"hf download facebook/sam-audio-large --local-dir {empty}" in str(missing.value)
    with pytest.raises(SAMLoadError, match="set options.model_path"):
        SAMAudioBackend("large").load("cpu")
    assert fake.built == []


def local_weights(tmp_path, monkeypatch) -> dict[str, str]:
    """Local files for every optional model; roberta-base "in the HF cache"."""
    spans = tmp_path / "pe-a-frame-large"
    spans.mkdir()
    for name in ("config.json", "model.safetensors"):
        (spans / name).write_text("{}")
    for name in ("630k-best.pt", "imagebind_huge.pth"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(
        loader, "_cached_snapshot", lambda repo, revision=None: tmp_path if repo == "roberta-base" else None
    )
    return {
        "span_predictor_path": str(spans),
        "clap_checkpoint": str(tmp_path / "630k-best.pt"),
        "imagebind_checkpoint": str(tmp_path / "imagebind_huge.pth"),
    }


def test_load_builds_only_the_models_the_settings_use_from_local_files(fake, tmp_path, monkeypatch):
    loaded(tmp_path)
    weights = local_weights(tmp_path, monkeypatch)
    loaded(tmp_path, reranking_candidates=4, predict_spans=True, **weights)
    lean, full = fake.built
    # config.json names pe-a-frame-large, CLAP and ImageBind: off unless used, never by name.
    assert lean["text_ranker"] is None and lean["visual_ranker"] is None and lean["span_predictor"] is None
    assert lean["text_encoder"]["name"] == str(tmp_path / "sam-audio-small-t5")
    assert lean["text_encoder"]["max_length"] == 512  # the rest of config.json's entry is kept
    assert full["span_predictor"] == weights["span_predictor_path"]
    assert full["text_ranker"] == {"kind": "clap", "checkpoint": weights["clap_checkpoint"]}
    assert full["visual_ranker"] == {"kind": "imagebind", "checkpoint": weights["imagebind_checkpoint"]}


@pytest.mark.parametrize(
    "options, drop, message",
    [
        ({"text_encoder_path": None}, None, r"config key text_encoder.name names 't5-base'.*never downloads"),
        ({"predict_spans": True}, None, r"config key span_predictor names 'facebook/pe-a-frame-large'"),
        ({"predict_spans": True, "span_predictor_path": "{tmp}"}, None, r"span_predictor: .* lacks config.json"),
        ({"reranking_candidates": 2}, None, r"config key text_ranker \(CLAP\) needs 630k-best.pt"),
        ({"reranking_candidates": 2, "clap_checkpoint": "{tmp}/clap.pt"}, None, r"needs 630k-best.pt"),
        ({"reranking_candidates": 2}, "text_ranker", r"needs a text_ranker in config.json"),
    ],
)
def test_an_option_whose_weights_are_not_local_refuses_to_load_naming_the_key(
    fake, tmp_path, monkeypatch, options, drop, message
):
    monkeypatch.setattr(loader, "_cached_snapshot", lambda repo, revision=None: None)  # an empty HF cache
    config_path = tmp_path / "sam-audio-small" / "config.json"
    if drop:
        config_path.write_text(json.dumps({k: v for k, v in json.loads(config_path.read_text()).items() if k != drop}))
    options = {k: v.replace("{tmp}", str(tmp_path)) if isinstance(v, str) else v for k, v in options.items()}
    with pytest.raises(SAMLoadError, match=message):
        loaded(tmp_path, **options)
    assert fake.built == []  # refused before building anything


def test_a_sam_audio_whose_config_lacks_a_key_the_loader_sets_is_refused(fake, tmp_path, monkeypatch):
    class OldConfig:  # a sam_audio from before span prediction: the loader could not switch it off
        def __init__(self, in_channels=768, audio_codec=None, text_encoder=None, text_ranker=None, visual_ranker=None):
            pass

    monkeypatch.setattr(sys.modules["sam_audio.model.config"], "SAMAudioConfig", OldConfig)
    with pytest.raises(SAMLoadError, match="SAMAudioConfig has no 'span_predictor'"):
        loaded(tmp_path)
    assert fake.built == []


def test_loading_never_goes_through_the_hub_mixin(fake, tmp_path):
    # The fake's BaseModel._from_pretrained has the real (huggingface_hub < 1) signature and refuses to be called.
    loaded(tmp_path)
    assert len(fake.built) == 1


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
        # One call, each item's own output: the target, or for "remove the hum" the model's residual.
        gain = sam_fake.RESIDUAL_GAIN if it.plan.estimates == "rest" else sam_fake.GAIN
        np.testing.assert_allclose(estimate, gain * it.audio, atol=1e-6)
    assert [it.plan.estimates for it in batch] == ["sound", "rest", "sound"]


def test_a_batch_over_the_memory_budget_is_split(fake, tmp_path):
    # 10 MB/s at float32; 2 s items cost 20 MB each: two per 45 MB call.
    backend = loaded(tmp_path, memory_budget_gb=45 / 1024, activation_mb_per_second=10)
    batch = [item(2.0, backend=backend, seed=i) for i in range(5)]
    out = backend.separate(batch)
    assert [c["items"] for c in fake.separate] == [2, 2, 1]
    for it, target in zip(batch, out, strict=True):
        np.testing.assert_allclose(target, 0.5 * it.audio, atol=1e-6)


def test_half_precision_fits_more_items_in_the_same_budget(fake, tmp_path):
    # The dtype scales the per-second estimate (x0.8), so bf16 fits more items: 3 x 16 MB <= 50 MB.
    backend = loaded(tmp_path, memory_budget_gb=50 / 1024, activation_mb_per_second=10, dtype="bf16")
    backend.separate([item(2.0, backend=backend, seed=i) for i in range(5)])
    assert [c["items"] for c in fake.separate] == [3, 2]


@pytest.mark.parametrize("dtype, flow_autocast", [("fp32", False), ("bf16", True)])
def test_half_precision_is_the_networks_only_the_flow_and_output_stay_float32(fake, tmp_path, dtype, flow_autocast):
    backend = loaded(tmp_path, dtype=dtype)
    (out,) = backend.separate([item(0.5, backend=backend)])
    (call,) = fake.separate
    assert call["flow_autocast"] is flow_autocast  # the DiT runs under autocast at bf16 ...
    assert call["autocast_around_separate"] is False  # ... the codec and the ODE state do not
    assert call["flow_dtype"] == torch.float32 and out.dtype == np.float32


def test_solver_and_reranking_settings_reach_separate(fake, tmp_path, monkeypatch):
    backend = loaded(
        tmp_path, ode_method="euler", ode_steps=8, reranking_candidates=3, **local_weights(tmp_path, monkeypatch)
    )
    backend.separate([item(0.5, backend=backend)])
    (call,) = fake.separate
    assert call["ode_opt"] == {"method": "euler", "options": {"step_size": 0.125}}
    assert call["reranking_candidates"] == 3 and call["predict_spans"] is False


def test_span_prediction_runs_only_for_items_without_user_spans_and_reaches_the_flow(fake, tmp_path, monkeypatch):
    backend = loaded(tmp_path, predict_spans=True, **local_weights(tmp_path, monkeypatch))
    spans = [SpanHint(start=0.1, end=0.2)]
    backend.separate([item(0.5, backend=backend), item(0.5, "the dog", spans, backend), item(0.4, backend=backend)])
    by_anchors = {c["anchors"] is None: c for c in fake.processor}
    assert [len(c["lengths"]) for c in (by_anchors[True], by_anchors[False])] == [2, 1]
    assert fake.predicted_spans == [2]  # predicted before separate, for the two items without user spans
    predicted = next(c for c in fake.separate if c["items"] == 2)
    # The predicted "+" anchors are on the batch separate runs (sam-audio#98: its own predict_spans=True drops them).
    assert predicted["anchors"] == [[["+", 0.0, 0.25]], [["+", 0.0, 0.2]]]
    assert all(row[2] == 1 for row in predicted["anchor_ids"])
    assert {c["predict_spans"] for c in fake.separate} == {False}


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


@pytest.mark.parametrize(
    "remove_with, gain",
    [("residual", sam_fake.RESIDUAL_GAIN), ("complement", 1 - sam_fake.GAIN)],
)
def test_remove_returns_the_models_residual_unless_the_complement_is_asked_for(fake, tmp_path, remove_with, gain):
    """ "remove X": the model's own residual by default; mixture - target with remove_with: complement.
    The target and residual tracks still sum to the mixture either way (the service's rule)."""
    backend = loaded(tmp_path, remove_with=remove_with, chunk_seconds=2.0, overlap_seconds=0.5)
    mixture = np.random.default_rng(4).standard_normal((1, int(5.1 * SR))).astype(np.float32)

    async def progress(done: int, total: int) -> bool:
        return False

    reading, plan = plan_prompt(backend, "remove the crowd noise")
    assert reading.inverted and plan.estimates == ("rest" if remove_with == "residual" else "sound")
    target = asyncio.run(separate_audio(mixture, SR, [(LocalSeparator(backend), plan)], [], progress, 4, inverted=True))
    np.testing.assert_allclose(target, gain * mixture, atol=1e-5)
    _, kept = plan_prompt(backend, "isolate the crowd noise")
    assert kept.estimates == "sound"  # a prompt that keeps the sound gets the model's target


def fake_videos(monkeypatch, sizes: dict[bytes, tuple[int, int]] | None = None) -> list[tuple[list[float], int]]:
    """torchcodec stand-ins: ``probe`` reads a 25 fps, 10 s video of the given size, and
    ``decode_frames`` makes the video's frames hold their index and the mask's hold
    a lossy "0" (3); returns the (times, size) of every decode."""
    decoded = []

    def probe(path):
        width, height = (sizes or {}).get(path.read_bytes(), (640, 360))
        return video.VideoInfo(width=width, height=height, fps=25.0, duration_s=10.0)

    def decode_frames(path, times, info, size):
        decoded.append((times, size))
        if path.read_bytes().startswith(b"mask"):
            return torch.full((len(times), 3, size, size), 3, dtype=torch.uint8)
        index = torch.tensor([round(t * 25) for t in times], dtype=torch.uint8)
        return index.view(-1, 1, 1, 1).expand(-1, 3, size, size).clone()

    monkeypatch.setattr(video, "probe", probe)
    monkeypatch.setattr(video, "decode_frames", decode_frames)
    return decoded


def test_visual_prompts_reach_the_model_as_the_chunks_frames_at_the_encoders_size(fake, tmp_path, monkeypatch):
    decoded = fake_videos(monkeypatch)
    backend = loaded(tmp_path, visual=True)
    with_video = item(0.5, backend=backend)
    with_video.visual = VisualPrompt(video=b"video", mask=b"mask", start_s=2.0, end_s=2.5)
    backend.separate([with_video, item(0.5, backend=backend, seed=1)])
    visual, plain = sorted(fake.processor, key=lambda c: c["masked_videos"] is None)
    (masked,) = visual["masked_videos"]
    # One frame per codec frame of the 0.5 s chunk (13), from second 2.0 on; a lossy mask's 3s are still 0.
    assert masked[:, 0, 0, 0].tolist() == list(range(50, 63))
    assert masked.shape == (13, 3, 336, 336) and [size for _, size in decoded] == [336, 336]
    assert plain["masked_videos"] is None


def test_a_mask_that_does_not_fit_its_video_fails_before_the_model(fake, tmp_path, monkeypatch):
    fake_videos(monkeypatch, {b"mask": (320, 180)})
    backend = loaded(tmp_path, visual=True)
    with_video = item(0.5, backend=backend)
    with_video.visual = VisualPrompt(video=b"video", mask=b"mask")
    with pytest.raises(ValueError, match="the mask is 320x180 pixels, the video 640x360"):
        backend.separate([with_video])
    assert fake.processor == [] and fake.separate == []


def test_a_visual_prompt_is_checked_at_submit(tmp_path, monkeypatch):
    fake_videos(monkeypatch, {b"mask": (320, 180)})
    (tmp_path / "v").write_bytes(b"video")
    (tmp_path / "m").write_bytes(b"mask")
    with pytest.raises(ServiceError) as error:
        video.check_files(tmp_path / "v", tmp_path / "m")
    assert (error.value.status_code, error.value.field) == (422, "input.mask_url")
    assert "the mask is 320x180 pixels" in error.value.message
    (tmp_path / "m").write_bytes(b"mask, fitting")
    monkeypatch.setattr(video, "probe", lambda path: video.VideoInfo(640, 360, 25.0, 10.0))
    assert video.check_files(tmp_path / "v", tmp_path / "m", audio_seconds=10.2).fps == 25.0
    with pytest.raises(ServiceError, match="the video lasts 10.00 s, the audio 12.00 s"):
        video.check_files(tmp_path / "v", tmp_path / "m", audio_seconds=12.0)


def test_a_separator_whose_backend_fails_to_load_stays_up_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sam_audio", None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    replica = Separator.func_or_class("sam-audio", "large", {"model_path": str(tmp_path)}, "cpu")
    status = asyncio.run(replica.status())
    assert status.available is False and status.device == "cpu"
    assert status.error.startswith("Backend sam-audio:large failed to load: the sam_audio package is not installed")
    assert asyncio.run(replica.info()).name == "sam-audio"  # still describes itself
