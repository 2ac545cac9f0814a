"""Loading SAM Audio from a local directory, failing with a message that says
what to install or download. Never fetches: weights come from ``model_path``;
the t5-base text encoder from ``text_encoder_path`` or the Hugging Face cache
(``HF_HUB_OFFLINE``); rankers and span predictor are not built unless enabled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from audiolasso_sam.options import SAMOptions
from audiolasso_sam.variants import VARIANTS

SAMPLE_RATE = 48_000
WEIGHT_FILES = ("config.json", "checkpoint.pt")
INSTALL = "pip install 'git+https://github.com/facebookresearch/sam-audio'"


class SAMLoadError(RuntimeError):
    """SAM Audio cannot be loaded on this replica; the message says what to fix."""


def load_sam_audio(variant: str, options: SAMOptions, device: str) -> tuple[Any, Any]:
    """(model, processor) for ``variant`` on ``device``, in eval mode."""
    # Before sam_audio (and with it huggingface_hub) is imported: the hub reads it once.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from sam_audio import SAMAudio, SAMAudioProcessor
    except ImportError as exc:
        raise SAMLoadError(f"the sam_audio package is not installed on this replica ({exc}); {INSTALL}") from exc
    path = _weights_dir(variant, options)
    model = SAMAudio.from_pretrained(str(path), local_files_only=True, **_model_overrides(path, options))
    processor = SAMAudioProcessor.from_pretrained(str(path))
    if processor.audio_sampling_rate != SAMPLE_RATE:
        raise SAMLoadError(f"{path} is a {processor.audio_sampling_rate} Hz model; expected {SAMPLE_RATE} Hz")
    return model.eval().to(device), processor


def _weights_dir(variant: str, options: SAMOptions) -> Path:
    repo = VARIANTS[variant].repo_id
    download = f"huggingface-cli download {repo} --local-dir <dir>"
    if options.model_path is None:
        raise SAMLoadError(f"no weights configured: set options.model_path to a directory made with `{download}`")
    path = Path(options.model_path)
    missing = [name for name in WEIGHT_FILES if not (path / name).is_file()]
    if missing:
        raise SAMLoadError(
            f"no SAM Audio weights at {path} (missing {', '.join(missing)}); "
            f"download them with `{download.replace('<dir>', str(path))}`"
        )
    return path


def _model_overrides(path: Path, options: SAMOptions) -> dict[str, Any]:
    """``from_pretrained`` keyword arguments replace config.json entries: the
    rankers and the span predictor are large models of their own, built (and
    downloaded) only when the settings use them."""
    overrides: dict[str, Any] = {}
    if options.reranking_candidates == 1:
        overrides.update(text_ranker=None, visual_ranker=None)
    if not options.predict_spans:
        overrides["span_predictor"] = None
    if options.text_encoder_path is not None:
        config = json.loads((path / "config.json").read_text())
        overrides["text_encoder"] = {**config.get("text_encoder", {}), "name": options.text_encoder_path}
    return overrides
