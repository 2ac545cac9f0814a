"""The rendered source bank on disk: ``python -m audiolasso_learned.training.bank OUT.npz``.

One float16 array per clip (``audio/{i}``) and a JSON list of clip records (``meta``: kind, concept,
names, song group, role, source, split). Every ``VALIDATION_EVERY``-th song (all its stems) and every
``VALIDATION_EVERY``-th clip of the other kinds is held back for validation: training and validation
never share a rendering. Builds on one core (fluidsynth, espeak-ng, festival, flite and numpy).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audiolasso_learned import SAMPLE_RATE
from audiolasso_learned.training.sources import VALIDATION_EVERY, Clip, bank_items


@dataclass
class Bank:
    """Clips of one split (train or val) by kind; ``songs`` groups the stems of each song."""

    songs: list[list[Clip]] = field(default_factory=list)
    solo: list[Clip] = field(default_factory=list)
    speech: list[Clip] = field(default_factory=list)
    events: list[Clip] = field(default_factory=list)
    ambience: list[Clip] = field(default_factory=list)
    noise: list[Clip] = field(default_factory=list)

    def add(self, clip: Clip) -> None:
        if clip.kind == "stem":
            if not self.songs or self.songs[-1][0].group != clip.group:
                self.songs.append([])
            self.songs[-1].append(clip)
        else:
            getattr(self, {"event": "events"}.get(clip.kind, clip.kind)).append(clip)

    def all_clips(self) -> list[Clip]:
        return [c for s in self.songs for c in s] + self.solo + self.speech + self.events + self.ambience + self.noise


def _split_of(clip: Clip, counters: Counter) -> str:
    if clip.kind == "stem":
        return "val" if clip.group % VALIDATION_EVERY == VALIDATION_EVERY - 1 else "train"
    key = clip.kind if clip.kind != "event" else f"event/{clip.concept}"
    counters[key] += 1
    return "val" if counters[key] % VALIDATION_EVERY == 0 else "train"


def stored(audio: np.ndarray) -> np.ndarray:
    """A clip as the bank keeps it: float16 (clipped to its range)."""
    return np.clip(audio, -60000, 60000).astype(np.float16)


def write(out: Path, meta: list[dict], arrays: dict[str, np.ndarray]) -> None:
    """The bank file: ``audio/{i}`` per clip and the clip records as JSON (``meta``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)  # type: ignore[arg-type]  # numpy types **kwds as its bool flag


def read_meta(data: np.lib.npyio.NpzFile) -> list[dict]:
    return json.loads(bytes(data["meta"]).decode())


def build(out: Path, seed: int, songs: int, speech: int, noises: int) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta: list[dict] = []
    counters: Counter = Counter()
    start = time.time()
    for clip in bank_items(
        seed, songs, speech, noises, log=lambda s: print(f"{s} ({time.time() - start:.0f} s)", flush=True)
    ):
        i = len(meta)
        arrays[f"audio/{i}"] = stored(clip.audio)
        meta.append(
            {
                "kind": clip.kind,
                "concept": clip.concept,
                "names": list(clip.names),
                "group": clip.group,
                "role": clip.role,
                "source": clip.source,
                "split": _split_of(clip, counters),
            }
        )
    write(out, meta, arrays)
    print(f"{len(meta)} clips in {time.time() - start:.0f} s -> {out} ({out.stat().st_size / 1e6:.0f} MB)")
    print(composition(meta, arrays))


def composition(meta: list[dict], arrays: dict[str, np.ndarray] | None = None) -> str:
    """A Markdown table: kind, concept, clips (train/val), minutes, distinct sources."""
    rows: dict[tuple[str, str], dict] = defaultdict(lambda: {"train": 0, "val": 0, "seconds": 0.0, "sources": set()})
    for i, m in enumerate(meta):
        r = rows[(m["kind"], m["concept"])]
        r[m["split"]] += 1
        if arrays is not None:
            r["seconds"] += len(arrays[f"audio/{i}"]) / SAMPLE_RATE
        r["sources"].add(m["source"].split(":")[0] if m["kind"] != "stem" else m["source"])
    lines = ["| kind | concept | clips train / val | minutes | distinct sources |", "|---|---|---:|---:|---:|"]
    for (kind, concept), r in sorted(rows.items()):
        lines.append(
            f"| {kind} | {concept} | {r['train']} / {r['val']} | {r['seconds'] / 60:.1f} | {len(r['sources'])} |"
        )
    return "\n".join(lines)


def load(path: Path, split: str) -> Bank:
    bank = Bank()
    with np.load(path) as data:
        for i, m in enumerate(read_meta(data)):
            if m["split"] != split:
                continue
            bank.add(
                Clip(data[f"audio/{i}"], m["kind"], m["concept"], tuple(m["names"]), m["group"], m["role"], m["source"])
            )
    return bank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--songs", type=int, default=104)
    parser.add_argument("--speech", type=int, default=240)
    parser.add_argument("--noises", type=int, default=12, help="clips per procedural noise kind")
    parser.add_argument("--show", action="store_true", help="print the composition of an existing bank")
    args = parser.parse_args()
    if args.show:
        with np.load(args.out) as data:
            print(composition(read_meta(data), {k: data[k] for k in data.files if k.startswith("audio/")}))
        return
    build(args.out, args.seed, args.songs, args.speech, args.noises)


if __name__ == "__main__":
    main()
