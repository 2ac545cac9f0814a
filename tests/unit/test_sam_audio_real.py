"""The real SAM Audio model, end to end on a real mixture (speech over pink
noise), through the service's windowing and blending.

Opt-in: the sam_audio package (not on PyPI) and its weights cannot exist on
machines without a GPU and a Hugging Face account (test_sam_real_code.py runs
the real code with a tiny random model). To run it, in the environment of
plugins/audiolasso_sam/scripts/setup_real_env.sh:

    AUDIOLASSO_SAM_AUDIO_PATH=/models/sam-audio-small \
    AUDIOLASSO_SAM_AUDIO_VARIANT=small AUDIOLASSO_SAM_AUDIO_T5_PATH=/models/t5-base \
    .venv-sam/bin/pytest tests/unit/test_sam_audio_real.py

(optional: AUDIOLASSO_SAM_AUDIO_DTYPE=bf16; without the T5 path, t5-base must be in the HF cache).
"""

from __future__ import annotations

import asyncio
import os

import numpy as np
import pytest

from audiolasso_sam.backend import SAMAudioBackend
from serve_app.audio.metrics import si_sdr
from serve_app.backend import SpanHint
from serve_app.jobs.separation import separate_audio
from serve_app.jobs.separator_client import LocalSeparator
from support.audio import speech_plus_noise
from support.backends import plan_prompt

MODEL_PATH = os.environ.get("AUDIOLASSO_SAM_AUDIO_PATH")
pytestmark = pytest.mark.skipif(
    not MODEL_PATH, reason="opt-in: set AUDIOLASSO_SAM_AUDIO_PATH to a downloaded SAM Audio checkpoint"
)


@pytest.fixture(scope="module")
def backend() -> SAMAudioBackend:
    import torch

    options = {
        "model_path": MODEL_PATH,
        "dtype": os.environ.get("AUDIOLASSO_SAM_AUDIO_DTYPE", "fp32"),
        # 5.5 s of audio in 3 s windows overlapping 1 s: the crossfade is exercised.
        "chunk_seconds": 3.0,
        "overlap_seconds": 1.0,
    }
    if os.environ.get("AUDIOLASSO_SAM_AUDIO_T5_PATH"):
        options["text_encoder_path"] = os.environ["AUDIOLASSO_SAM_AUDIO_T5_PATH"]
    sam = SAMAudioBackend(os.environ.get("AUDIOLASSO_SAM_AUDIO_VARIANT", "small"), options)
    sam.load("cuda" if torch.cuda.is_available() else "cpu")
    return sam


def separate(backend: SAMAudioBackend, mixture: np.ndarray, prompt: str, spans: list[SpanHint]) -> np.ndarray:
    async def progress(done: int, total: int) -> bool:
        return False

    reading, plan = plan_prompt(backend, prompt, spans)
    target = asyncio.run(
        separate_audio(
            mixture[None], 48000, [(LocalSeparator(backend), plan)], spans, progress, 4, inverted=reading.inverted
        )
    )
    return target[0]


def test_real_model_isolates_speech_from_noise(backend):
    mix, clean, _ = speech_plus_noise(snr_db=0.0, seed=11)
    target = separate(backend, mix, "isolate the speech", [SpanHint(start=0.5, end=5.0, include=True)])
    assert target.shape == mix.shape and np.isfinite(target).all()
    assert si_sdr(target, clean) - si_sdr(mix, clean) >= 3.0


def test_real_model_removes_noise_on_request(backend):
    mix, clean, _ = speech_plus_noise(snr_db=0.0, seed=12)
    target = separate(backend, mix, "remove the noise", [])  # the complement of what the model isolates
    assert si_sdr(target, clean) - si_sdr(mix, clean) >= 3.0
