"""The bank's trip to a GPU machine (``training/pack.py``) and the trainer's phrase table."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from audiolasso_learned import SAMPLE_RATE
from audiolasso_learned.training import pack
from audiolasso_learned.training.mixtures import Example
from audiolasso_learned.training.train import Batcher, arrays_of
from serve_app.understanding.catalog import CONCEPTS
from serve_app.understanding.reading import MARKED_READING


def _clips() -> list[np.ndarray]:
    t = np.arange(int(1.5 * SAMPLE_RATE)) / SAMPLE_RATE
    tone = 0.14 * np.sin(2 * np.pi * 440 * t)  # RMS 0.1, as the bank stores clips
    noise = np.random.default_rng(0).normal(0, 0.1, int(0.7 * SAMPLE_RATE))
    loud = 3.0 * np.sin(2 * np.pi * 220 * t[: SAMPLE_RATE // 2])  # peaks above 1: scaled down and back
    return [tone, noise, loud]


def test_packed_clips_unpack_to_their_length_level_and_waveform(tmp_path):
    clips = _clips()
    meta = [{"kind": "solo", "concept": "piano", "names": ["a piano"], "source": "test"} for _ in clips]
    # A procedural noise is not packed but made again, exactly, by the bank's own generator.
    pink = pack.regenerate("pink", 1, seed=0)
    meta.append({"kind": "noise", "concept": "hiss", "names": ["pink noise"], "source": "numpy pink"})
    meta.insert(0, {"kind": "noise", "concept": "hiss", "names": ["pink noise"], "source": "numpy pink"})
    audio = [pack.regenerate("pink", 0, seed=0), *(c.astype(np.float32) for c in clips), pink]
    pack.pack_audio(meta, audio, tmp_path / "packed", seed=0)
    size = sum(f.stat().st_size for f in (tmp_path / "packed").iterdir())
    assert size < sum(len(c) for c in clips) * 2 / 6  # float16 would be 2 bytes a sample: Opus is far smaller
    pack.unpack(tmp_path / "packed", tmp_path / "bank.npz")
    with np.load(tmp_path / "bank.npz") as data:
        assert json.loads(bytes(data["meta"]).decode())[1]["names"] == ["a piano"]
        assert np.array_equal(data["audio/4"], pink) and data["audio/0"].dtype == np.float16
        for i, clip in enumerate(clips):
            back = data[f"audio/{i + 1}"].astype(np.float32)
            assert back.dtype == np.float32 and len(back) == len(clip)
            level = np.sqrt(np.mean(back**2)) / np.sqrt(np.mean(clip**2))
            if i != 1:  # a tone survives the codec sample for sample
                assert abs(level - 1) < 0.05 and np.corrcoef(back, clip)[0, 1] > 0.95
            else:  # white noise, the codec's hardest case at this rate: its level within 2.5 dB
                assert abs(20 * np.log10(level)) < 2.5


def test_packing_refuses_a_bank_made_with_another_seed(tmp_path):
    meta = [{"kind": "noise", "concept": "hiss", "names": ["pink noise"], "source": "numpy pink"}]
    with pytest.raises(ValueError, match="--seed"):
        pack.pack_audio(meta, [pack.regenerate("pink", 0, seed=1)], tmp_path / "packed", seed=0)


def _example(phrase: str, concept: str = "piano") -> Example:
    audio = np.full(SAMPLE_RATE // 2, 0.1, np.float32)
    return Example(audio, audio, concept, f"isolate the {phrase}", phrase, [(0.0, 0.2, True)])


def test_a_phrase_table_embeds_known_phrases_and_drops_the_rest():
    table = {"piano": np.ones(384, np.float32), "flute": np.full(384, 2.0, np.float32)}
    batcher = Batcher("cpu", table)
    mixture, target, spec, text, spans, negative = batcher(arrays_of([_example(p) for p in ("piano", "oboe", "flute")]))
    assert batcher.missed == 1
    assert mixture.shape[0] == target.shape[0] == spec.shape[0] == spans.shape[0] == negative.shape[0] == 2
    assert torch.equal(text[:, 0], torch.tensor([1.0, 2.0]))
    assert spans[0].max() == 1.0  # the include span reaches the trainer as the span channel


def test_a_served_query_run_trains_on_what_serving_sends():
    rng = np.random.default_rng(0)
    table = {t: rng.normal(size=384).astype(np.float32) for t in ("piano", "flute", "barking", MARKED_READING)}
    batcher = Batcher("cpu", table, served=True)
    examples = [_example(p) for p in ("piano", "oboe", "flute", MARKED_READING)] + [_example("barking", "dog")]
    *_, text, _spans, _negative = batcher(arrays_of(examples))
    assert batcher.missed == 1  # "oboe" is not in the table

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v)

    # An instrument's phrase joins its concept's label ("piano"), as inference.queries builds it for
    # serving; an event's phrase stands alone, and so does "keep this" with marks (serving reads no concept).
    expected = [
        unit(2 * table["piano"]),
        unit(table["flute"] + table["piano"]),
        unit(table[MARKED_READING]),
        unit(table["barking"]),
    ]
    assert np.allclose(text.numpy(), np.stack(expected), atol=1e-6)


def test_the_phrase_table_holds_the_catalogs_labels():
    phrases = set(pack.enumerated_phrases([]))
    assert {c.label for c in CONCEPTS} <= phrases
