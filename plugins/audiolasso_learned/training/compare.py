"""Per-concept routing by measurement, from two ``audiolasso eval --out`` runs.

    python -m audiolasso_learned.training.compare DSP/results.json LEARNED/results.json

For each concept (as the prompt reader names it) the backend with the higher
mean SI-SDRi wins; the table then scores that best-per-concept choice per
category. Chosen and scored on the same corpus, the combined column is an
upper bound of what the rule gives on unseen material.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def _rows(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in json.loads(path.read_text())["cases"]}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dsp", type=Path)
    parser.add_argument("learned", type=Path)
    args = parser.parse_args()
    runs = {"dsp": _rows(args.dsp), "learned": _rows(args.learned)}
    by_concept: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for name, rows in runs.items():
        for row in rows.values():
            by_concept[row["interpretation"]["concept"]][name].append(row["sdri"])
    route = {c: max(scores, key=lambda n: _mean(scores[n])) for c, scores in by_concept.items()}
    print("concept\tdsp\tlearned\troute")
    for concept, scores in sorted(by_concept.items()):
        print(f"{concept}\t{_mean(scores['dsp']):.2f}\t{_mean(scores['learned']):.2f}\t{route[concept]}")
    by_category: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case_id, row in runs["dsp"].items():
        chosen = runs[route[row["interpretation"]["concept"]]][case_id]
        for name, value in (("dsp", row["sdri"]), ("learned", runs["learned"][case_id]["sdri"]), ("best", chosen["sdri"])):
            by_category[row["category"]][name].append(value)
            by_category["~OVERALL"][name].append(value)
    print("\ncategory\tdsp\tlearned\tbest-per-concept")
    for category, scores in sorted(by_category.items()):  # "~" sorts the overall row last
        print(f"{category.lstrip('~')}\t{_mean(scores['dsp']):.2f}\t{_mean(scores['learned']):.2f}\t{_mean(scores['best']):.2f}")


if __name__ == "__main__":
    main()
