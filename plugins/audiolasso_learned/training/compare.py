"""Concept routes by measurement, from ``audiolasso eval --out`` runs of both backends.

    python -m audiolasso_learned.training.compare \\
        --dsp DSP/results.json DSP_NOSPANS/results.json \\
        --learned LEARNED/results.json LEARNED_NOSPANS/results.json

Runs pair up in order (same corpus, same span setting). A concept (as the
prompt reader names it) is routed to ``learned`` when, over every case of it
in every pair, learned's mean SI-SDRi beats dsp's by at least ``--margin``
dB. Prints the per-concept table, the ``routes:`` block for a Serve config,
and per-category means for dsp, learned and the routed combination. Routes
chosen and scored on the same corpus flatter the combination: measure it
again on material the routes were not chosen on.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

Rows = dict[str, dict]  # case id -> results.json row


def _rows(path: Path) -> Rows:
    return {row["id"]: row for row in json.loads(path.read_text())["cases"]}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def concept_scores(pairs: list[tuple[Rows, Rows]]) -> dict[str, dict[str, list[float]]]:
    """concept -> backend -> SI-SDRi of each case-run."""
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for dsp, learned in pairs:
        for case_id, row in dsp.items():
            concept = row["interpretation"]["concept"]
            scores[concept]["dsp"].append(row["sdri"])
            scores[concept]["learned"].append(learned[case_id]["sdri"])
    return scores


def choose_routes(scores: dict[str, dict[str, list[float]]], margin_db: float) -> dict[str, str]:
    return {c: "learned" for c, s in sorted(scores.items()) if _mean(s["learned"]) >= _mean(s["dsp"]) + margin_db}


def category_means(dsp: Rows, learned: Rows, routes: dict[str, str]) -> dict[str, dict[str, float]]:
    by_category: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case_id, row in dsp.items():
        combined = learned[case_id] if row["interpretation"]["concept"] in routes else row
        for name, value in (("dsp", row["sdri"]), ("learned", learned[case_id]["sdri"]), ("combined", combined["sdri"])):
            by_category[row["category"]][name].append(value)
            by_category["OVERALL"][name].append(value)
    return {category: {name: _mean(v) for name, v in values.items()} for category, values in by_category.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsp", type=Path, nargs="+", required=True)
    parser.add_argument("--learned", type=Path, nargs="+", required=True)
    parser.add_argument("--margin", type=float, default=1.0, help="dB learned must win by (default 1)")
    args = parser.parse_args()
    if len(args.dsp) != len(args.learned):
        parser.error("give one --learned run per --dsp run")
    pairs = [(_rows(d), _rows(lr)) for d, lr in zip(args.dsp, args.learned, strict=True)]
    scores = concept_scores(pairs)
    routes = choose_routes(scores, args.margin)
    print("concept\tcase-runs\tdsp\tlearned")
    for concept, s in sorted(scores.items()):
        print(f"{concept}\t{len(s['dsp'])}\t{_mean(s['dsp']):.2f}\t{_mean(s['learned']):.2f}")
    print("\nroutes:" + "".join(f"\n  {concept}: {backend}" for concept, backend in routes.items()) if routes else "\nroutes: {}")
    for path, (dsp, learned) in zip(args.dsp, pairs, strict=True):
        print(f"\n{path.parent.name}\tdsp\tlearned\tcombined")
        for category, means in sorted(category_means(dsp, learned, routes).items(), key=lambda kv: kv[0] == "OVERALL"):
            print(f"{category}\t{means['dsp']:.2f}\t{means['learned']:.2f}\t{means['combined']:.2f}")


if __name__ == "__main__":
    main()
