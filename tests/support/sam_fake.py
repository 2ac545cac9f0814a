"""A stand-in for the ``sam_audio`` package, for the CI tests (no GPU, no weights,
no git-only dependencies); tests/unit/test_sam_real_code.py runs the real one.

It mirrors the real API at the pinned commit (audiolasso_sam.loader.SAM_AUDIO_COMMIT)
where the backend touches it, so a test here fails where the real code would:

- ``sam_audio.model.config.SAMAudioConfig(**config)`` with the real keywords and
  defaults (``span_predictor="pe-a-frame-large"``); ``SAMAudio(config)`` builds
  what the config names, and, like the real one offline, fails for a model it
  would have to download (a text encoder or span predictor that is not a local
  directory, a ranker without a local checkpoint);
- ``sam_audio.model.base.BaseModel._from_pretrained`` with the real keyword-only
  ``proxies``/``resume_download`` (what breaks under huggingface_hub >= 1);
- ``load_state_dict(state, strict=True)``, ``eval``, ``to``, ``vision_encoder.image_size``;
- ``SAMAudioProcessor(audio_hop_length, audio_sampling_rate)`` and its
  ``__call__(descriptions, audios, anchors=None, masked_videos=None)`` -> ``Batch``
  with ``sizes``, ``wav_sizes``, ``audio_pad_mask``, ``anchor_ids``,
  ``anchor_alignment`` (the real ``process_anchors``) and ``masked_video`` (one
  frame per codec frame, as the real ``load_video`` picks them); ``mask_videos``;
- ``separate(batch, noise=None, ode_opt=DFLT_ODE_OPT, reranking_candidates=1,
  predict_spans=False)`` -> ``SeparationResult(target, residual, noise)``, lists of
  1-D tensors of whole codec frames; ``_get_audio_features`` and ``predict_spans``.

Its "separation" is ``0.5 * mixture`` and its residual ``0.4 * mixture`` (like the
real model's, a second output of the flow, not mixture - target), so every output
traces to its input; its transformer records whether it ran under autocast and
returns that dtype.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

HOP = 1920  # the DAC-VAE hop (48 kHz / 25 Hz features)
GAIN = 0.5
RESIDUAL_GAIN = 0.4
DFLT_ODE_OPT = {"method": "midpoint", "options": {"step_size": 2 / 32}}


@dataclass
class Calls:
    """What the code under test asked of the fakes made under one ``install``."""

    built: list[dict[str, Any]] = field(default_factory=list)  # the config each SAMAudio was built from
    processor: list[dict[str, Any]] = field(default_factory=list)
    separate: list[dict[str, Any]] = field(default_factory=list)
    predicted_spans: list[int] = field(default_factory=list)  # batch sizes the span predictor ran on
    text_encoder_path: Path | None = None


_active = Calls()  # the log of the current install; each fake keeps the one it was made under


class _Section:
    def __init__(self, **values: Any):
        self.__dict__.update(values)


class SAMAudioConfig:
    def __init__(
        self,
        in_channels: int = 768,
        audio_codec=None,
        text_encoder=None,
        vision_encoder=None,
        transformer=None,
        num_anchors: int = 3,
        anchor_embedding_dim: int = 128,
        visual_ranker=None,
        text_ranker=None,
        span_predictor: str | None = "pe-a-frame-large",
    ):
        codec = {"encoder_rates": [2, 8, 10, 12], "sample_rate": 48_000, **(audio_codec or {})}
        self.audio_codec = _Section(**codec, hop_length=math.prod(codec["encoder_rates"]))
        self.text_encoder = _Section(**{"name": "t5-base", "max_length": 512, **(text_encoder or {})})
        self.vision_encoder = _Section(**{"name": "PE-Core-L14-336", "image_size": 336, **(vision_encoder or {})})
        self.transformer = transformer
        self.visual_ranker, self.text_ranker, self.span_predictor = visual_ranker, text_ranker, span_predictor


class BaseModel(torch.nn.Module):
    @classmethod
    def _from_pretrained(
        cls, *, model_id, cache_dir, force_download, proxies, resume_download, local_files_only, token
    ):
        raise AssertionError("the loader must not go through the hub mixin")


class Batch:
    def __init__(
        self,
        audios,
        sizes,
        wav_sizes,
        descriptions,
        hop_length,
        audio_sampling_rate,
        anchors=None,
        audio_pad_mask=None,
        masked_video=None,
    ):
        self.audios, self.sizes, self.wav_sizes, self.descriptions = audios, sizes, wav_sizes, descriptions
        self.audio_pad_mask, self.masked_video = audio_pad_mask, masked_video
        self.hop_length, self.audio_sampling_rate = hop_length, audio_sampling_rate
        self.process_anchors(anchors)

    def to(self, device) -> Batch:
        return self

    def process_anchors(self, anchors) -> None:
        """The real algorithm: ids ``<null>``=0, ``+``=1, ``-``=2, ``<pad>``=3 per item,
        and for every feature frame the index of the anchor that covers it."""
        ids_of = {"<null>": 0, "+": 1, "-": 2, "<pad>": 3}
        alignment = torch.zeros(len(self.audios), self.audio_pad_mask.size(-1), dtype=torch.long)
        alignment[~self.audio_pad_mask] = 1
        ids = []
        for i, anchor_list in enumerate(anchors or [[] for _ in self.audios]):
            current = [ids_of["<null>"], ids_of["<pad>"]]
            for token, start, end in anchor_list:
                first = math.ceil(start * self.audio_sampling_rate / self.hop_length)
                last = math.ceil(end * self.audio_sampling_rate / self.hop_length)
                alignment[i, first:last] = len(current)
                current.append(ids_of[token])
            ids.append(torch.tensor(current))
        self.anchor_ids = pad_sequence(ids, batch_first=True, padding_value=ids_of["<pad>"])
        self.anchor_alignment = alignment
        self.anchors = anchors


class SAMAudioProcessor:
    def __init__(self, audio_hop_length: int, audio_sampling_rate: int):
        self.audio_hop_length, self.audio_sampling_rate = audio_hop_length, audio_sampling_rate
        self.log = _active

    @classmethod
    def from_pretrained(cls, model_name_or_path: str) -> SAMAudioProcessor:
        config = SAMAudioConfig(**json.loads((Path(model_name_or_path) / "config.json").read_text()))
        return cls(config.audio_codec.hop_length, config.audio_codec.sample_rate)

    def __call__(self, descriptions, audios, anchors=None, masked_videos=None) -> Batch:
        assert len(descriptions) == len(audios)
        assert anchors is None or len(anchors) == len(descriptions)
        assert masked_videos is None or len(masked_videos) == len(descriptions)
        assert all(a.ndim == 2 and a.dtype == torch.float32 for a in audios), "(channels, time) float32 tensors"
        wavs = [a.mean(0) for a in audios]
        wav_sizes = torch.tensor([len(w) for w in wavs])
        sizes = torch.ceil(wav_sizes / self.audio_hop_length).long()
        pad_mask = torch.arange(int(sizes.max())).expand(len(sizes), -1) < sizes.unsqueeze(1)
        frames = None
        if masked_videos is not None:  # the real load_video: `size` frames spread over each video
            for video in masked_videos:
                assert video.ndim == 4 and video.size(1) == 3, "(N, 3, H, W) frames"
            frames = [
                v[torch.linspace(0, v.size(0) - 1, int(n)).round().long()]
                for v, n in zip(masked_videos, sizes, strict=True)
            ]
        self.log.processor.append(
            {
                "descriptions": descriptions,
                "lengths": [len(w) for w in wavs],
                "anchors": anchors,
                "masked_videos": masked_videos,
            }
        )
        return Batch(
            pad_sequence(wavs, batch_first=True).unsqueeze(1),
            sizes,
            wav_sizes,
            descriptions,
            self.audio_hop_length,
            self.audio_sampling_rate,
            anchors=anchors,
            audio_pad_mask=pad_mask,
            masked_video=frames,
        )

    def mask_videos(self, videos, masks) -> list[torch.Tensor]:
        return [v * m.eq(0) for v, m in zip(videos, masks, strict=True)]


@dataclass
class SeparationResult:
    target: list[torch.Tensor]
    residual: list[torch.Tensor]
    noise: torch.Tensor


class _Transformer(torch.nn.Module):
    """Stands in for the DiT: records the autocast state and dtype it ran at."""

    autocast: bool | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.autocast = torch.is_autocast_enabled(x.device.type)
        dtype = torch.get_autocast_dtype(x.device.type) if self.autocast else x.dtype
        return x.to(dtype)


class _VisionEncoder(torch.nn.Module):
    def __init__(self, image_size: int):
        super().__init__()
        self.image_size = image_size

    def forward(self, videos: list[torch.Tensor]) -> torch.Tensor:
        return torch.zeros(len(videos), 1)


def _would_download(what: str, name: Any) -> None:
    if not (isinstance(name, str) and os.path.isdir(name)):
        raise OSError(f"{what} {name!r} is not a local directory: offline, it cannot be fetched")


class SAMAudio(BaseModel):
    config_cls = SAMAudioConfig

    def __init__(self, cfg: SAMAudioConfig):
        super().__init__()
        _would_download("text encoder", cfg.text_encoder.name)
        if cfg.span_predictor is not None:
            _would_download("span predictor", cfg.span_predictor)
            self.span_predictor = cfg.span_predictor
        for ranker in (cfg.text_ranker, cfg.visual_ranker):
            if ranker is not None and not (ranker.get("checkpoint") or ranker.get("checkpoint_or_model_id")):
                raise OSError(f"a {ranker['kind']} ranker without a checkpoint downloads one")
        self.text_ranker, self.visual_ranker = cfg.text_ranker, cfg.visual_ranker
        self.transformer = _Transformer()
        self.vision_encoder = _VisionEncoder(cfg.vision_encoder.image_size)
        self.log = _active
        self.log.built.append(
            {
                "text_encoder": vars(cfg.text_encoder),
                "span_predictor": cfg.span_predictor,
                "text_ranker": cfg.text_ranker,
                "visual_ranker": cfg.visual_ranker,
            }
        )

    def load_state_dict(self, state_dict, strict=True):
        assert strict and isinstance(state_dict, dict)

    def _get_audio_features(self, audios: torch.Tensor) -> torch.Tensor:
        frames = math.ceil(audios.shape[-1] / HOP)
        return torch.zeros(audios.size(0), frames, 256)

    def predict_spans(self, batch: Batch, audio_features: torch.Tensor, audio_pad_mask: torch.Tensor) -> Batch:
        """Predicts the first half of each item; sets the batch's anchors, as the real one does."""
        self.log.predicted_spans.append(len(batch.descriptions))
        batch.process_anchors([[["+", 0.0, float(n) / 48_000 / 2]] for n in batch.wav_sizes])
        return batch

    def separate(
        self, batch: Batch, noise=None, ode_opt=DFLT_ODE_OPT, reranking_candidates: int = 1, predict_spans: bool = False
    ) -> SeparationResult:
        device = batch.audios.device.type
        flow = self.transformer(batch.audios)  # the backend's autocast wrapper returns float32
        self.log.separate.append(
            {
                "items": len(batch.descriptions),
                "ode_opt": ode_opt,
                "reranking_candidates": reranking_candidates,
                "predict_spans": predict_spans,
                "anchors": batch.anchors,
                "anchor_ids": batch.anchor_ids.tolist(),
                "autocast_around_separate": torch.is_autocast_enabled(device),
                "flow_autocast": self.transformer.autocast,
                "flow_dtype": flow.dtype,
            }
        )
        frames = batch.audio_pad_mask.size(-1)
        audio = torch.nn.functional.pad(batch.audios[:, 0], (0, frames * HOP - batch.audios.shape[-1]))
        lengths = batch.sizes * HOP  # whole codec frames, longer than the input
        target = [GAIN * row[:n] for row, n in zip(audio, lengths, strict=True)]
        residual = [RESIDUAL_GAIN * row[:n] for row, n in zip(audio, lengths, strict=True)]
        return SeparationResult(target=target, residual=residual, noise=torch.zeros(len(target), frames, 256))


def install(monkeypatch, weights_dir: Path) -> Calls:
    """Make ``import sam_audio`` (and its ``model.config``/``model.base``) give the
    fake; write a weights directory shaped like a downloaded checkpoint, whose
    config.json names the models a released one does, and a local text encoder
    beside it (``Calls.text_encoder_path``); return the call log."""
    package = types.ModuleType("sam_audio")
    package.SAMAudio, package.SAMAudioProcessor, package.Batch = SAMAudio, SAMAudioProcessor, Batch
    model = types.ModuleType("sam_audio.model")
    config = types.ModuleType("sam_audio.model.config")
    config.SAMAudioConfig = SAMAudioConfig
    base = types.ModuleType("sam_audio.model.base")
    base.BaseModel = BaseModel
    for name, module in (
        ("sam_audio", package),
        ("sam_audio.model", model),
        ("sam_audio.model.config", config),
        ("sam_audio.model.base", base),
    ):
        monkeypatch.setitem(sys.modules, name, module)
    # The loader turns the hub offline (environment and constant); keep that from leaking past the test.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.setenv(name, os.environ.get(name, "0"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", huggingface_hub.constants.HF_HUB_OFFLINE)
    assert list(inspect.signature(SAMAudioConfig).parameters)[-1] == "span_predictor"
    weights_dir.mkdir(parents=True, exist_ok=True)
    (weights_dir / "config.json").write_text(
        json.dumps(
            {
                "text_encoder": {"name": "t5-base", "max_length": 512},
                "span_predictor": "pe-a-frame-large",
                "text_ranker": {"kind": "clap", "checkpoint": None},
                "visual_ranker": {"kind": "imagebind", "checkpoint": None},
            }
        )
    )
    torch.save({}, weights_dir / "checkpoint.pt")
    text_encoder = weights_dir.parent / f"{weights_dir.name}-t5"
    text_encoder.mkdir(exist_ok=True)
    (text_encoder / "config.json").write_text("{}")
    log = Calls(text_encoder_path=text_encoder)
    monkeypatch.setattr(sys.modules[__name__], "_active", log)
    return log
