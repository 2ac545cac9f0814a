"""The rendered source bank on disk: ``python -m audiolasso_learned.training.bank OUT.npz``.

One float16 array per clip under ``"{split}/{concept}/{index}"``; training and
validation clips never share a rendering.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from audiolasso_learned.training.sources import VALIDATION_EVERY, bank_items

Bank = dict[str, list[np.ndarray]]  # concept -> clips


def build(out: Path, seed: int, per_concept: int) -> None:
    arrays: dict[str, np.ndarray] = {}
    counts: dict[str, int] = defaultdict(int)
    start = time.time()
    for concept, clip in bank_items(seed, per_concept):
        index = counts[concept]
        counts[concept] += 1
        split = "val" if index % VALIDATION_EVERY == VALIDATION_EVERY - 1 else "train"
        arrays[f"{split}/{concept}/{index}"] = clip.astype(np.float16)
        if len(arrays) % 50 == 0:
            print(f"{len(arrays)} clips, {time.time() - start:.0f} s", flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)
    print(dict(counts), flush=True)


def load(path: Path, split: str) -> Bank:
    bank: Bank = defaultdict(list)
    with np.load(path) as data:
        for key in sorted(data.files):
            part, concept, _ = key.split("/")
            if part == split:
                bank[concept].append(data[key])
    return dict(bank)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-concept", type=int, default=32)
    args = parser.parse_args()
    build(args.out, args.seed, args.per_concept)


if __name__ == "__main__":
    main()
