"""Score trained weights on evaluation corpora in-process, to choose the checkpoint to ship.

    python -m audiolasso_learned.training.select .audiolasso/learned/run/snapshots/*.safetensors \\
        --corpus corpora/tune [--corpus corpora/tune-instruments ...] [--category music_instrument] \\
        [--without-spans | --both-spans] [--out .audiolasso/eval/select.json]

Every weights file runs through the service's own evaluation path (``serve_app.evaluation.LocalRunner``
with ``LearnedBackend(options={"weights": PATH})``) and is reported as mean SI-SDRi per category and
overall, per corpus and span setting, and pooled over all of them (each case run weighs the same).
Choose on ``corpora/tune`` and its siblings (and the dev corpus); heldout is only ever scored once,
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import defaultdict
from pathlib import Path

from audiolasso_learned.backend import LearnedBackend
from serve_app.evaluation import LocalRunner, evaluate


def runner(weights: Path) -> LocalRunner:
    """The learned backend with ``weights``, loaded once for every corpus it is scored on."""
    backend = LearnedBackend(options={"weights": str(weights)})
    backend.load("cpu")
    return LocalRunner(backend)


def score(
    corpus: Path, run: LocalRunner, spans: bool = True, out: Path | None = None, categories: list[str] | None = None
) -> dict:
    """Mean SI-SDRi per category (and OVERALL) of ``run`` on ``corpus``, with the case counts."""
    report = asyncio.run(evaluate(corpus, run, out, log=lambda *_: None, spans=spans, categories=categories))
    return {name: {"sdri": round(g["sdri"], 3), "n": g["n"]} for name, g in report["summary"].items()}


def pooled(runs: list[dict]) -> dict[str, float]:
    """Per category, the mean over every case run of ``runs`` (each a ``score`` result)."""
    total: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for run in runs:
        for name, g in run.items():
            total[name] += g["sdri"] * g["n"]
            count[name] += g["n"]
    return {name: round(total[name] / count[name], 3) for name in total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights", type=Path, nargs="+")
    parser.add_argument("--corpus", type=Path, action="append", required=True, help="repeat for several")
    parser.add_argument("--category", action="append", help="only this category's cases (repeat for several)")
    spans = parser.add_mutually_exclusive_group()
    spans.add_argument("--without-spans", action="store_true")
    spans.add_argument("--both-spans", action="store_true", help="each corpus with and without span hints")
    parser.add_argument("--out", type=Path, help="append the results (JSON lines)")
    args = parser.parse_args()
    settings = [True, False] if args.both_spans else [not args.without_spans]
    for w in args.weights:
        run = runner(w)
        runs = {
            f"{corpus}{'' if s else ' (without spans)'}": score(corpus, run, s, categories=args.category)
            for corpus in args.corpus
            for s in settings
        }
        line = {"weights": str(w), "pooled": pooled(list(runs.values())), "runs": runs}
        print(json.dumps(line), flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
