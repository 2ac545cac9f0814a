"""Score trained weights on an evaluation corpus in-process, to choose the checkpoint to ship.

    python -m audiolasso_learned.training.select corpora/tune .audiolasso/learned/run/snapshots/*.safetensors \
        [--without-spans] [--out .audiolasso/eval/select.json]

Every weights file runs through the service's own evaluation path (``serve_app.evaluation.LocalRunner``
with ``LearnedBackend(options={"weights": PATH})``) and is reported as mean SI-SDRi per category and
overall. Choose on ``corpora/tune`` (and the dev corpus); heldout is only ever scored once, at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from audiolasso_learned.backend import LearnedBackend
from serve_app.evaluation import LocalRunner, evaluate


def score(corpus: Path, weights: Path, spans: bool = True, out: Path | None = None) -> dict:
    backend = LearnedBackend(options={"weights": str(weights)})
    backend.load("cpu")
    report = asyncio.run(evaluate(corpus, LocalRunner(backend), out, log=lambda *_: None, spans=spans))
    return {name: round(g["sdri"], 3) for name, g in report["summary"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("weights", type=Path, nargs="+")
    parser.add_argument("--without-spans", action="store_true")
    parser.add_argument("--out", type=Path, help="append the results (JSON lines)")
    args = parser.parse_args()
    for w in args.weights:
        summary = score(args.corpus, w, not args.without_spans)
        line = {"corpus": str(args.corpus), "weights": str(w), "spans": not args.without_spans, **summary}
        print(json.dumps(line), flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
