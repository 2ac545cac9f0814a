"""Check a generated corpus: format, exactness, levels, spans and that it only uses its own split.

python -m audiolasso_corpora.verify {heldout|tune} CORPUS_DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from .make import check_spans
from .sources import is_reserved, split_of_file

FIELDS = ["id", "category", "prompt", "spans", "sample_rate", "duration", "sources", "notes"]
CATEGORIES = {"music_instrument", "vocal_over_music", "speech_in_noise", "sound_event"}


def verify(split: str, corpus: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in sorted(p for p in Path(corpus).iterdir() if (p / "case.json").is_file()):
        meta = json.loads((case / "case.json").read_text())
        assert list(meta)[: len(FIELDS)] == FIELDS and set(meta) <= set(FIELDS) | {"tags"}, case
        assert meta["id"] == case.name and meta["category"] in CATEGORIES and meta["sample_rate"] == 44100, case
        a = {}
        for k in ("mixture", "target", "residual"):
            info = sf.info(case / f"{k}.flac")
            assert (info.channels, info.samplerate, info.subtype, info.format) == (1, 44100, "PCM_16", "FLAC"), case
            a[k] = sf.read(case / f"{k}.flac", dtype="int16")[0].astype(np.int32)
        assert np.array_equal(a["mixture"], a["target"] + a["residual"]), f"{case}: mixture != target + residual"
        n = len(a["mixture"])
        assert 7.5 * 44100 <= n <= 9.5 * 44100 and abs(meta["duration"] - n / 44100) < 1e-3, case
        peak = 20 * np.log10(np.abs(a["mixture"]).max() / 32768)
        assert abs(peak + 1.0) < 0.05, f"{case}: mixture peak {peak:.2f} dBFS"
        check_spans(meta["id"], a["target"] / 32768.0, meta["spans"])
        tags = meta.get("tags", [])
        assert set(tags) <= {"spans_required", "inverted_target"}, case
        if "spans_required" in tags:
            assert any(s["include"] for s in meta["spans"]) and any(not s["include"] for s in meta["spans"]), case
        for s in meta["sources"]:
            f = s.get("file")
            for x in f if isinstance(f, list) else [f]:
                if x:
                    assert not is_reserved(path=x), f"{case}: reserved {x}"
                    assert split_of_file(x) == split, f"{case}: {x} is not a {split} file"
            assert not is_reserved(s.get("package", "")), case
        counts[meta["category"]] = counts.get(meta["category"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", choices=["heldout", "tune"])
    ap.add_argument("corpus")
    a = ap.parse_args(argv)
    counts = verify(a.split, Path(a.corpus))
    print(f"{a.corpus}: OK, {sum(counts.values())} cases {counts}")


if __name__ == "__main__":
    main()
