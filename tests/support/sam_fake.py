"""A stand-in for the ``sam_audio`` package, for tests without a GPU or weights.

It is a fake because the real package is not on PyPI and its multi-gigabyte
weights cannot exist on test machines (test_sam_audio_real.py runs the real
model when they do). It keeps the real call signatures and shapes —
``SAMAudio.from_pretrained(path, **config_overrides)``, ``.eval()``, ``.to()``,
``.separate(batch, noise=None, ode_opt=..., reranking_candidates=1,
predict_spans=False)`` returning per-item 1-D ``target``/``residual`` tensors
rounded up to whole codec frames; ``SAMAudioProcessor.from_pretrained(path)``,
``__call__(descriptions, audios, anchors=None, masked_videos=None)`` padding
(C, T) tensors into one batch, ``mask_videos`` — and its "separation" is
``0.5 * mixture``, so every output can be traced to its input.
"""

from __future__ import annotations

import json
import math
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

HOP = 1920  # the DAC-VAE hop (48 kHz / 25 Hz features)
GAIN = 0.5


@dataclass
class Calls:
    """What the code under test asked of the fakes made under one ``install``."""

    from_pretrained: list[dict[str, Any]] = field(default_factory=list)
    processor: list[dict[str, Any]] = field(default_factory=list)
    separate: list[dict[str, Any]] = field(default_factory=list)


_active = Calls()  # the log of the current install; each fake keeps the one it was made under


class Batch:
    def __init__(self, audios: torch.Tensor, wav_sizes: torch.Tensor, descriptions: list[str], anchors, masked_video):
        self.audios, self.wav_sizes, self.descriptions = audios, wav_sizes, descriptions
        self.anchors, self.masked_video = anchors, masked_video
        self.sizes = torch.ceil(wav_sizes / HOP).long()  # feature frames, as the real processor counts them

    def to(self, device: str) -> Batch:
        return self


class SAMAudioProcessor:
    audio_sampling_rate = 48_000

    @classmethod
    def from_pretrained(cls, model_name_or_path: str) -> SAMAudioProcessor:
        assert (Path(model_name_or_path) / "config.json").is_file()
        processor = cls()
        processor.log = _active
        return processor

    def __call__(self, descriptions: list[str], audios: list[torch.Tensor], anchors=None, masked_videos=None) -> Batch:
        assert len(descriptions) == len(audios)
        assert anchors is None or len(anchors) == len(descriptions)
        assert masked_videos is None or len(masked_videos) == len(descriptions)
        assert all(a.ndim == 2 and a.dtype == torch.float32 for a in audios), "(channels, time) float32 tensors"
        wavs = [a.mean(0) for a in audios]
        self.log.processor.append(
            {
                "descriptions": descriptions,
                "lengths": [len(w) for w in wavs],
                "anchors": anchors,
                "masked_videos": masked_videos,
            }
        )
        sizes = torch.tensor([len(w) for w in wavs])
        return Batch(pad_sequence(wavs, batch_first=True).unsqueeze(1), sizes, descriptions, anchors, masked_videos)

    def mask_videos(self, videos: list[torch.Tensor], masks: list[torch.Tensor]) -> list[torch.Tensor]:
        return [v * m.eq(0) for v, m in zip(videos, masks, strict=True)]


@dataclass
class SeparationResult:
    target: list[torch.Tensor]
    residual: list[torch.Tensor]
    noise: torch.Tensor | None


class SAMAudio:
    @classmethod
    def from_pretrained(cls, model_id: str, **kwargs: Any) -> SAMAudio:
        config = json.loads((Path(model_id) / "config.json").read_text())
        unknown = set(kwargs) - set(config) - {"local_files_only"}
        assert not unknown, f"overrides of keys config.json lacks are ignored by the real model: {unknown}"
        model = cls()
        model.log = _active
        model.log.from_pretrained.append({"path": model_id, **kwargs})
        return model

    def eval(self) -> SAMAudio:
        return self

    def to(self, device: str) -> SAMAudio:
        return self

    def separate(
        self, batch: Batch, noise=None, ode_opt=None, reranking_candidates: int = 1, predict_spans: bool = False
    ) -> SeparationResult:
        self.log.separate.append(
            {
                "items": len(batch.descriptions),
                "ode_opt": ode_opt,
                "reranking_candidates": reranking_candidates,
                "predict_spans": predict_spans,
            }
        )
        frames = math.ceil(batch.audios.shape[-1] / HOP)
        audio = torch.nn.functional.pad(batch.audios[:, 0], (0, frames * HOP - batch.audios.shape[-1]))
        lengths = batch.sizes * HOP  # whole codec frames, longer than the input
        target = [GAIN * row[:n] for row, n in zip(audio, lengths, strict=True)]
        residual = [row[:n] - t for row, n, t in zip(audio, lengths, target, strict=True)]
        return SeparationResult(target=target, residual=residual, noise=None)


def install(monkeypatch, weights_dir: Path) -> Calls:
    """Make ``import sam_audio`` give the fake and write a weights directory
    shaped like a downloaded checkpoint; returns the call log."""
    module = types.ModuleType("sam_audio")
    module.SAMAudio, module.SAMAudioProcessor = SAMAudio, SAMAudioProcessor
    monkeypatch.setitem(sys.modules, "sam_audio", module)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the loader sets it; keep it from leaking past the test
    weights_dir.mkdir(parents=True, exist_ok=True)
    (weights_dir / "config.json").write_text(
        json.dumps(
            {
                "text_encoder": {"name": "t5-base", "max_length": 512},
                "span_predictor": "pe-a-frame-large",
                "text_ranker": {"kind": "clap"},
                "visual_ranker": {"kind": "imagebind"},
            }
        )
    )
    (weights_dir / "checkpoint.pt").write_bytes(b"")
    log = Calls()
    monkeypatch.setattr(sys.modules[__name__], "_active", log)
    return log
