"""The sam-audio backend through the REAL sam_audio code (facebookresearch/sam-audio
at audiolasso_sam.loader.SAM_AUDIO_COMMIT): a tiny randomly initialised model
written as a released checkpoint is (audiolasso_sam.tiny), loaded from its
directory with the network cut, then separated end to end on the CPU.

Opt-in: it runs where sam_audio is importable, i.e. in the environment made by
plugins/audiolasso_sam/scripts/setup_real_env.sh:

    .venv-sam/bin/python -m pytest -q tests/unit/test_sam_real_code.py

(about two minutes on one core). The outputs are noise-like: a random model
shows the code path, not separation quality (test_sam_audio_real.py, with real
weights, does that).
"""

from __future__ import annotations

import re
import socket

import numpy as np
import pytest

pytest.importorskip(
    "sam_audio",
    reason="opt-in: sam_audio is not importable here; build .venv-sam with "
    "plugins/audiolasso_sam/scripts/setup_real_env.sh and run this file with .venv-sam/bin/python",
)

import torch  # noqa: E402

from audiolasso_sam.backend import SAMAudioBackend, autocast_submodules  # noqa: E402
from audiolasso_sam.loader import SAMLoadError  # noqa: E402
from audiolasso_sam.tiny import write_tiny_model  # noqa: E402
from serve_app.backend import Plan, SeparationItem, SpanHint, VisualPrompt  # noqa: E402
from support.backends import plan_prompt  # noqa: E402

SR = 48_000
FAST = {"ode_steps": 2, "ode_method": "midpoint"}
PLAN = Plan(sound="dog bark", concept="dog", method="sam-audio")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Nothing here may download: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    return {k: str(v) for k, v in write_tiny_model(tmp_path_factory.mktemp("sam")).items()}


@pytest.fixture(scope="module")
def backend(tiny) -> SAMAudioBackend:
    sam = SAMAudioBackend("small", {**tiny, **FAST, "visual": True})
    sam.load("cpu")
    return sam


def item(seconds: float, spans=(), seed=0, visual=None) -> SeparationItem:
    audio = np.random.default_rng(seed).standard_normal(int(seconds * SR)).astype(np.float32) * 0.1
    return SeparationItem(audio=audio, plan=PLAN, spans=list(spans), visual=visual)


def separate(backend: SAMAudioBackend, items: list[SeparationItem], seed: int = 0) -> list[np.ndarray]:
    torch.manual_seed(seed)  # the flow starts from noise: the same seed, the same start
    return backend.separate(items)


def test_loads_from_its_directory_offline_with_no_span_predictor_or_rankers(backend, tiny):
    model = backend._model
    # config.json names pe-a-frame-large, CLAP and ImageBind, and t5-base: none was built or fetched.
    assert not hasattr(model, "span_predictor") and model.text_ranker is None and model.visual_ranker is None
    assert model.text_encoder.model.config.d_model == 32  # the local tiny T5, not t5-base
    assert not model.training and next(model.parameters()).dtype == torch.float32


def test_items_of_three_lengths_with_include_and_exclude_anchors(backend):
    spans = [SpanHint(start=0.1, end=0.3, include=True), SpanHint(start=0.5, end=0.8, include=False)]
    batch = [item(0.4, seed=1), item(0.9, spans, seed=2), item(1.5, [SpanHint(start=1.0, end=1.4)], seed=3)]
    out = separate(backend, batch)
    for it, estimate in zip(batch, out, strict=True):
        assert estimate.shape == it.audio.shape and estimate.dtype == np.float32 and np.isfinite(estimate).all()
    # The anchors reach the flow: the same item and start without them comes out different.
    plain = separate(backend, [item(0.4, seed=1), item(0.9, seed=2), item(1.5, seed=3)])
    assert not np.allclose(plain[1], out[1], atol=1e-6)


def test_a_visual_item_uses_the_chunks_frames(backend, tmp_path):
    ffmpeg = pytest.importorskip("shutil").which("ffmpeg")
    if ffmpeg is None:
        pytest.skip("ffmpeg makes the test videos")
    import subprocess

    def make(name: str, source: str) -> bytes:
        path = tmp_path / name
        subprocess.run(
            [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", str(path)],
            check=True,
        )
        return path.read_bytes()

    video = make("v.mp4", "testsrc=size=96x64:rate=25:duration=3")
    left = make("l.mp4", "color=c=black:s=96x64:r=25:d=3,drawbox=x=0:y=0:w=48:h=64:color=white:t=fill")
    right = make("r.mp4", "color=c=black:s=96x64:r=25:d=3,drawbox=x=48:y=0:w=48:h=64:color=white:t=fill")
    prompt = VisualPrompt(video=video, mask=left, start_s=1.0, end_s=1.5)
    (a,) = separate(backend, [item(0.5, visual=prompt)])
    (b,) = separate(backend, [item(0.5, visual=VisualPrompt(video=video, mask=right, start_s=1.0, end_s=1.5))])
    assert a.shape == (SR // 2,) and np.isfinite(a).all()
    assert not np.allclose(a, b, atol=1e-6)  # the mask reaches the model
    small = make("s.mp4", "color=c=black:s=48x32:r=25:d=3")
    with pytest.raises(ValueError, match="the mask is 48x32 pixels, the video 96x64"):
        separate(backend, [item(0.5, visual=VisualPrompt(video=video, mask=small))])


def test_bf16_keeps_the_flow_state_and_the_waveform_float32(tiny):
    sam = SAMAudioBackend("small", {**tiny, **FAST, "dtype": "bf16"})
    sam.load("cpu")
    batch = sam._processor(descriptions=["dog bark"], audios=[torch.randn(1, SR // 2) * 0.1])
    torch.manual_seed(0)
    with torch.inference_mode():
        result = sam._model.separate(batch, ode_opt=sam.settings.ode_opt)
    assert result.noise.dtype == torch.float32 and result.target[0].dtype == torch.float32
    # Against float32 from the same start: the half-precision networks move the estimate, a little.
    fp32 = SAMAudioBackend("small", {**tiny, **FAST})
    fp32.load("cpu")
    (bf16_out,) = separate(sam, [item(0.5)])
    (fp32_out,) = separate(fp32, [item(0.5)])
    assert np.linalg.norm(bf16_out - fp32_out) / np.linalg.norm(fp32_out) < 0.5
    autocast_submodules(fp32._model, "cpu", "bfloat16", names=())  # no modules: a no-op


def test_remove_returns_the_models_residual_unless_the_complement_is_asked_for(backend, tiny):
    """ "remove the dog bark": the backend returns the real model's residual, the flow's second
    output, which is not the mixture minus its target; with remove_with: complement the plan
    asks for the target (the service then takes mixture - target), from the same flow."""
    mixture = item(0.5).audio
    outputs = {}
    for remove_with in ("residual", "complement"):
        reading, plan = plan_prompt(
            SAMAudioBackend("small", {**tiny, "remove_with": remove_with}), "remove the dog bark"
        )
        assert reading.inverted and plan.sound == "dog bark"
        assert plan.estimates == ("rest" if remove_with == "residual" else "sound")
        (outputs[remove_with],) = separate(backend, [SeparationItem(audio=mixture, plan=plan)])
    batch = backend._processor(descriptions=["dog bark"], audios=[torch.from_numpy(mixture)[None]])
    torch.manual_seed(0)  # the start separate() had
    with torch.inference_mode():
        result = backend._model.separate(batch, ode_opt=backend.settings.ode_opt)
    target, residual = (wav.reshape(-1)[: len(mixture)].numpy() for wav in (result.target[0], result.residual[0]))
    np.testing.assert_allclose(outputs["residual"], residual, atol=1e-6)
    np.testing.assert_allclose(outputs["complement"], target, atol=1e-6)
    assert not np.allclose(outputs["residual"], mixture - target, atol=1e-3)


@pytest.mark.parametrize(
    "options, key",
    [({"predict_spans": True}, "span_predictor"), ({"reranking_candidates": 2}, "text_ranker (CLAP)")],
)
def test_options_whose_weights_are_absent_refuse_to_load_naming_them(tiny, options, key):
    with pytest.raises(SAMLoadError, match=re.escape(f"config key {key}")):
        SAMAudioBackend("small", {**tiny, **options}).load("cpu")
