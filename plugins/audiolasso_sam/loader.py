"""Loading SAM Audio from local files only, or failing with a message that
says what to install or download.

The model is built the way the real ``BaseModel._from_pretrained`` builds it
(``SAMAudioConfig(**config.json)`` -> ``SAMAudio(config)`` ->
``load_state_dict(checkpoint.pt)``), but here, so that

- loading does not go through ``huggingface_hub``'s ``ModelHubMixin`` keyword
  plumbing, which raises TypeError with huggingface_hub >= 1 on sam-audio
  before PR #97 (facebookresearch/sam-audio#90);
- the settings' overrides always apply: the real ``from_pretrained`` drops an
  override whose key config.json lacks, so the default span predictor
  (``pe-a-frame-large``) would be built, and downloaded;
- every model SAM Audio builds by name (the T5 text encoder, the span
  predictor, the rankers' checkpoints) is resolved to a local path first, and
  a missing one refuses the load, naming the config key and what to download.

Weights per setting (see README, "SAM Audio (GPU)"):

==========================  ====================================================
always                      ``model_path``: config.json, checkpoint.pt;
                            t5-base (``text_encoder_path``, or the HF cache)
``predict_spans``           facebook/pe-a-frame-large, revision perception_models
                            (``span_predictor_path``, or the HF cache)
``reranking_candidates``>1  the rankers config.json names: clap ->
                            630k-best.pt (``clap_checkpoint``, or the HF cache
                            lukewys/laion_clap) and roberta-base in the HF cache;
                            judge -> facebook/sam-audio-judge (``judge_path``, or
                            the HF cache); imagebind -> ``imagebind_checkpoint``
==========================  ====================================================
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audiolasso_sam.options import SAMOptions
from audiolasso_sam.variants import VARIANTS

# The sam-audio commit this plugin is tested against (setup_real_env.sh, README).
SAM_AUDIO_COMMIT = "68b48d48fff1ad776d3afefbe634eb5f5d60ba7b"
SAMPLE_RATE = 48_000
WEIGHT_FILES = ("config.json", "checkpoint.pt")
INSTALL = f"pip install 'sam_audio @ git+https://github.com/facebookresearch/sam-audio@{SAM_AUDIO_COMMIT}'"
# What SAMAudioConfig falls back to when config.json has no such key.
DEFAULT_TEXT_ENCODER = "t5-base"
DEFAULT_SPAN_PREDICTOR = "pe-a-frame-large"
SPAN_PREDICTOR_REVISION = "perception_models"
CLAP_REPO, CLAP_FILE, CLAP_TEXT_MODEL = "lukewys/laion_clap", "630k-best.pt", "roberta-base"
JUDGE_REPO = "facebook/sam-audio-judge"


log = logging.getLogger(__name__)


class SAMLoadError(RuntimeError):
    """SAM Audio cannot be loaded on this replica; the message says what to fix."""


def go_offline() -> None:
    """Nothing on this replica may download: the environment for libraries
    imported later, and huggingface_hub's constant for one already imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    with contextlib.suppress(ImportError):
        import huggingface_hub.constants

        huggingface_hub.constants.HF_HUB_OFFLINE = True


def load_sam_audio(variant: str, options: SAMOptions, device: str) -> tuple[Any, Any]:
    """(model, processor) for ``variant`` on ``device``, in eval mode."""
    go_offline()
    try:
        from sam_audio import SAMAudio, SAMAudioProcessor
        from sam_audio.model.config import SAMAudioConfig
    except ImportError as exc:
        raise SAMLoadError(f"the sam_audio package is not installed on this replica ({exc}); {INSTALL}") from exc
    path = weights_dir(variant, options)
    stored = json.loads((path / "config.json").read_text())
    overrides = model_overrides(stored, options)
    unknown = sorted(set(overrides) - set(inspect.signature(SAMAudioConfig).parameters))
    if unknown:
        raise SAMLoadError(
            f"the installed sam_audio's SAMAudioConfig has no {', '.join(map(repr, unknown))}: "
            f"the loader cannot switch those models off or point them at local files; {INSTALL}"
        )
    absent = sorted(set(overrides) - set(stored))
    if absent:  # sam-audio's own from_pretrained would drop these; here they apply
        log.info("%s/config.json has no %s; set from the settings", path, ", ".join(absent))
    try:
        config = SAMAudioConfig(**{**stored, **overrides})
        with _hub_mixin_compat():  # the judge ranker loads through the hub mixin
            model = SAMAudio(config)
        import torch

        state = torch.load(path / "checkpoint.pt", map_location="cpu", weights_only=True, mmap=True)
        model.load_state_dict(state, strict=True)  # SAMAudio's own: text encoder and rankers come from their files
    except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
        raise SAMLoadError(f"SAM Audio at {path} did not load: {type(exc).__name__}: {exc}") from exc
    processor = SAMAudioProcessor(
        audio_hop_length=config.audio_codec.hop_length, audio_sampling_rate=config.audio_codec.sample_rate
    )
    if processor.audio_sampling_rate != SAMPLE_RATE:
        raise SAMLoadError(f"{path} is a {processor.audio_sampling_rate} Hz model; expected {SAMPLE_RATE} Hz")
    return model.eval().to(device), processor


def weights_dir(variant: str, options: SAMOptions) -> Path:
    repo = VARIANTS[variant].repo_id
    download = f"hf download {repo} --local-dir <dir>"
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


def model_overrides(stored: dict[str, Any], options: SAMOptions) -> dict[str, Any]:
    """The config entries that replace config.json's: every model SAM Audio would
    build by name becomes a local path, and the ones the settings do not use are
    switched off (``None``). Raises SAMLoadError naming the key whose files are missing."""
    text_encoder = dict(stored.get("text_encoder") or {})
    name = options.text_encoder_path or text_encoder.get("name", DEFAULT_TEXT_ENCODER)
    text_encoder["name"] = str(_local_model("text_encoder.name", name, ("config.json",), "text_encoder_path"))
    overrides: dict[str, Any] = {"text_encoder": text_encoder, "span_predictor": None}
    if options.predict_spans:
        name = options.span_predictor_path or stored.get("span_predictor") or DEFAULT_SPAN_PREDICTOR
        repo = name if os.path.isdir(name) or "/" in name else f"facebook/{name}"
        overrides["span_predictor"] = str(
            _local_model(
                "span_predictor",
                repo,
                ("config.json", "model.safetensors"),
                "span_predictor_path",
                revision=SPAN_PREDICTOR_REVISION,
            )
        )
    if options.reranking_candidates == 1:
        overrides.update(text_ranker=None, visual_ranker=None)
    else:
        if not stored.get("text_ranker"):
            raise SAMLoadError(
                "reranking_candidates > 1 needs a text_ranker in config.json (it has none): "
                "without one every candidate but the first is thrown away; set reranking_candidates: 1"
            )
        for key in ("text_ranker", "visual_ranker"):
            overrides[key] = _local_ranker(key, stored.get(key), options)
    return overrides


def _local_model(key: str, name: str, files: tuple[str, ...], option: str, revision: str | None = None) -> Path:
    """``name`` as a local directory holding ``files``: itself, or its snapshot in the HF cache."""
    path = Path(name)
    if not path.is_dir():
        cached = _cached_snapshot(name, revision)
        if cached is None:
            hint = f"hf download {name}" + (f" --revision {revision}" if revision else "") + " --local-dir <dir>"
            raise SAMLoadError(
                f"config key {key} names {name!r}, which is neither a local directory nor in the "
                f"Hugging Face cache, and this replica never downloads: `{hint}` and set options.{option}"
            )
        path = cached
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise SAMLoadError(f"config key {key}: {path} lacks {', '.join(missing)} (set options.{option})")
    return path


def _cached_snapshot(repo_id: str, revision: str | None = None) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=repo_id, revision=revision, local_files_only=True))
    except Exception:  # not cached (LocalEntryNotFoundError), or not a repo id at all
        return None


def _cached_file(repo_id: str, filename: str) -> Path | None:
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(repo_id=repo_id, filename=filename, local_files_only=True))
    except Exception:
        return None


def _local_ranker(key: str, ranker: dict[str, Any] | None, options: SAMOptions) -> dict[str, Any] | None:
    """A ranker's config (``{"kind": ..., ...}``, ensembles nested) with every
    checkpoint made a local path; SAMLoadError naming ``key`` if one is missing."""
    if not ranker:
        return None
    ranker = dict(ranker)
    kind = ranker.get("kind")
    if kind == "ensemble":
        ranker["rankers"] = {
            name: [_local_ranker(f"{key}.rankers.{name}", sub, options), weight]
            for name, (sub, weight) in ranker["rankers"].items()
        }
    elif kind == "clap":
        checkpoint = options.clap_checkpoint or ranker.get("checkpoint")
        found = Path(checkpoint) if checkpoint else _cached_file(CLAP_REPO, CLAP_FILE)
        if found is None or not found.is_file():
            raise SAMLoadError(
                f"config key {key} (CLAP) needs {CLAP_FILE}: `hf download {CLAP_REPO} {CLAP_FILE}` "
                "and set options.clap_checkpoint"
            )
        if _cached_snapshot(CLAP_TEXT_MODEL) is None:
            raise SAMLoadError(
                f"config key {key} (CLAP) builds its text branch from {CLAP_TEXT_MODEL}, which is not in "
                f"the Hugging Face cache: `hf download {CLAP_TEXT_MODEL}` on this node (HF_HOME)"
            )
        ranker["checkpoint"] = str(found)
    elif kind == "judge":
        name = options.judge_path or ranker.get("checkpoint_or_model_id") or JUDGE_REPO
        ranker["checkpoint_or_model_id"] = str(
            _local_model(f"{key} (judge)", name, ("config.json", "checkpoint.pt"), "judge_path")
        )
    elif kind == "imagebind":
        checkpoint = options.imagebind_checkpoint or ranker.get("checkpoint")
        if not checkpoint or not Path(checkpoint).is_file():
            # Without a checkpoint ImageBind downloads imagebind_huge.pth into the working directory.
            raise SAMLoadError(
                f"config key {key} (ImageBind) needs a local imagebind_huge.pth: set options.imagebind_checkpoint"
            )
        ranker["checkpoint"] = str(checkpoint)
    elif kind != "sound_activity":  # computed from the audio, no weights
        raise SAMLoadError(f"config key {key} has a ranker of unknown kind {kind!r}")
    return ranker


@contextlib.contextmanager
def _hub_mixin_compat() -> Iterator[None]:
    """While it lasts, sam_audio's ``BaseModel._from_pretrained`` accepts being
    called without ``proxies``/``resume_download`` (what huggingface_hub >= 1's
    mixin does; facebookresearch/sam-audio#97). Only the judge ranker loads that
    way here, always from a local directory, so neither argument is used."""
    from sam_audio.model.base import BaseModel

    original = BaseModel.__dict__.get("_from_pretrained")
    parameters = inspect.signature(BaseModel._from_pretrained).parameters
    needs = [
        n
        for n in ("proxies", "resume_download")
        if n in parameters and parameters[n].default is inspect.Parameter.empty
    ]
    if not needs or not isinstance(original, classmethod):
        yield
        return
    wrapped = original.__func__

    def compatible(cls: type, **kwargs: Any) -> Any:
        for name in needs:
            kwargs.setdefault(name, None)
        return wrapped(cls, **kwargs)

    BaseModel._from_pretrained = classmethod(compatible)
    try:
        yield
    finally:
        BaseModel._from_pretrained = original
