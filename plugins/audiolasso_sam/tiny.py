"""A tiny, randomly initialised SAM Audio built with the REAL sam_audio code,
written to disk the way a released checkpoint is laid out, so the loader and
the backend run end to end without the gated multi-gigabyte weights (the
opt-in real-code test, ``bench/sam_gpu_smoke.py``).

Only the sizes are tiny: the codec keeps its 48 kHz / 1920-sample hop, and
config.json names the span predictor, rankers and ``t5-base`` as a released
one does, so the loader must switch them off or point them at local files
(the T5 encoder here is a tiny one with its own small tokenizer, built offline).
Its output is noise-like: it shows the code path, not separation quality.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CODEBOOK_DIM = 8  # the codec's latent channels C; the DiT sees 6C in, 2C out
VISION_ENCODER = "PE-Core-T16-384"  # the smallest PE vision tower; frames resized to IMAGE_SIZE
IMAGE_SIZE = 64
WORDS = (
    "speech man woman speaking singing voice music drums bass piano guitar dog bark barking bird birds "
    "noise hum hiss crowd traffic rain wind engine siren bell the a of and in with"
).split()


def tiny_config(text_encoder: str = "t5-base") -> dict[str, Any]:
    """config.json of a tiny model, with the keys a released checkpoint has."""
    return {
        "in_channels": 6 * CODEBOOK_DIM,
        "audio_codec": {
            "encoder_dim": 4,
            "encoder_rates": [2, 8, 10, 12],
            "latent_dim": 16,
            "decoder_dim": 1536,  # fixed by the decoder's watermarker (32 channels at its last block / 3)
            "decoder_rates": [12, 10, 8, 2],
            "codebook_dim": CODEBOOK_DIM,
            "sample_rate": 48_000,
        },
        "text_encoder": {"name": text_encoder, "dim": 32, "max_length": 64},
        "vision_encoder": {"name": VISION_ENCODER, "dim": 512, "image_size": IMAGE_SIZE},
        "transformer": {
            "dim": 32,
            "n_heads": 2,
            "n_layers": 2,
            "context_dim": 32,
            "out_channels": 2 * CODEBOOK_DIM,
            "frequency_embedding_dim": 32,
            "multiple_of": 16,
            "dropout": 0.0,
        },
        "num_anchors": 3,
        "anchor_embedding_dim": 8,
        # As released: models built by name (and downloaded) unless the loader says otherwise.
        "span_predictor": "pe-a-frame-large",
        "text_ranker": {"kind": "clap", "checkpoint": None},
        "visual_ranker": {"kind": "imagebind", "checkpoint": None},
    }


def write_tiny_t5(directory: Path) -> Path:
    """A 2-layer T5 encoder and a word-level tokenizer (no download), loadable
    with ``T5EncoderModel.from_pretrained`` / ``AutoTokenizer.from_pretrained``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

    directory.mkdir(parents=True, exist_ok=True)
    vocab = {token: i for i, token in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    ).save_pretrained(directory)
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(vocab), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)
    T5EncoderModel(config).save_pretrained(directory)
    return directory


def write_tiny_model(directory: Path, seed: int = 0) -> dict[str, Path]:
    """``directory/sam-audio-tiny`` (config.json, checkpoint.pt, laid out as a
    released variant) and ``directory/t5-tiny``; returns both paths."""
    import torch
    from sam_audio import SAMAudio
    from sam_audio.model.config import SAMAudioConfig

    t5 = write_tiny_t5(directory / "t5-tiny")
    weights = directory / "sam-audio-tiny"
    weights.mkdir(parents=True, exist_ok=True)
    stored = tiny_config()
    built = {**stored, "text_encoder": {**stored["text_encoder"], "name": str(t5)}}
    built.update(span_predictor=None, text_ranker=None, visual_ranker=None)
    torch.manual_seed(seed)
    model = SAMAudio(SAMAudioConfig(**built))
    with torch.no_grad():  # initialised shut (tanh(0) = 0); a trained model's are open, so anchors and video count
        model.embed_anchors.gate.fill_(1.0)
        model.align_masked_video.gate.fill_(1.0)
    # Released checkpoints leave out what SAMAudio loads from elsewhere (the text encoder).
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("text_encoder.")}
    torch.save(state, weights / "checkpoint.pt")
    (weights / "config.json").write_text(json.dumps(stored, indent=2))
    return {"model_path": weights, "text_encoder_path": t5}
