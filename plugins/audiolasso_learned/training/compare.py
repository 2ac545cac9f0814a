"""Concept routes by measurement, from ``audiolasso eval --out`` runs of both backends.

    python -m audiolasso_learned.training.compare \\
        --dsp DSP/results.json DSP_NOSPANS/results.json \\
        --learned LEARNED/results.json LEARNED_NOSPANS/results.json \\
        [--score-dsp HELDOUT_DSP/results.json --score-learned HELDOUT_LEARNED/results.json]

Runs pair up in order (same corpus, same span setting). For each concept (as
the dsp backend reads the prompt) three candidates are scored on every case
run: ``dsp``, ``learned`` and their mean (``dsp+learned``, computed from the
written estimates). Routes are chosen per family first (``catalog.Family``:
instrument, event, noise, ...), on all its concepts' case runs together: the
candidate with the best mean replaces dsp when it beats dsp's mean by at least
``--margin`` dB and the family has case runs of at least ``MIN_FAMILY_CONCEPTS``
of its concepts (a route for a family's unmeasured concepts rests on several
measured ones); within ``--margin`` of the best, the mean of both is the route.
A concept then gets a route of its own only where its evidence says so: a
candidate that beats the family's route on every case run of the concept, and
by at least ``--margin`` dB on average. (Concept by concept alone,
on one to six cases each, the routes fitted their corpus: chosen on dev, they
cost tune's instruments 5.5 / 7.8 dB with / without spans against the rule
shipped; docs/learned.md, "Routes by family".)
Routes are chosen on the runs with span hints, and again on those without;
``routes_without_spans`` holds what it takes to turn the first into the
second. (Every case of a run with span hints takes part in the first choice,
those without hints of their own too: chosen on the cases given hints alone,
the routes transferred worse between the tuning corpora, 30.4 -> 29.7 dB
summed, on half the evidence.) The routed means score each case as the
service routes its job: one without span hints with ``routes_without_spans``,
whichever run it is in. Prints the per-concept table, the ``routes:`` and
``routes_without_spans:`` blocks for a Serve config, and per category the means
of dsp, learned, the ensemble everywhere and the routed combination. Routes
chosen and scored on the same corpus flatter the combination: measure it again
on material they were not chosen on.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import soundfile as sf

from serve_app.evaluation import bounded_si_sdr, load_corpus
from serve_app.routing import FAMILIES, by_concept
from serve_app.understanding.catalog import BY_NAME

CANDIDATES = {"dsp": ("dsp",), "learned": ("learned",), "dsp+learned": ("dsp", "learned")}
ENSEMBLE = "dsp+learned"
MIN_FAMILY_CONCEPTS = 3
Scores = dict[str, dict[str, float]]  # case id -> candidate -> SI-SDRi


def _estimate(run: Path, case_id: str, length: int) -> np.ndarray:
    """The run's target estimate; silence where the case failed (it scores the floor, as in the run)."""
    path = run.parent / case_id / "target.wav"
    if not path.exists():
        return np.zeros(length)
    audio, _ = sf.read(path, dtype="float64", always_2d=True)
    return audio.mean(1)


def _concept(row: dict) -> str:
    """The concept dsp read in the case's prompt ("?" where it refused the prompt)."""
    return (row["interpretation"] or {}).get("concept", "?")


def with_spans(run: Path) -> bool:
    """Whether the run gave the cases' span hints (``audiolasso eval`` without ``--without-spans``)."""
    return _gave_spans(json.loads(run.read_text()))


def _gave_spans(report: dict) -> bool:
    return bool(report.get("spans", True))


def score_pair(dsp: Path, learned: Path) -> tuple[Scores, dict[str, dict]]:
    """Every candidate's SI-SDRi per case of one pair of runs, and dsp's rows, each marked
    ``hinted`` where the run gave the case span hints (the service routes a job by that)."""
    report = json.loads(dsp.read_text())
    rows = {row["id"]: row for row in report["cases"]}
    cases = {case.id: case for case in load_corpus(Path(report["corpus"]))}
    run_hinted = _gave_spans(report)
    scores: Scores = {}
    for case_id, row in rows.items():
        row["hinted"] = run_hinted and bool(cases[case_id].spans)
        n = len(cases[case_id].target)
        estimates = {"dsp": _estimate(dsp, case_id, n), "learned": _estimate(learned, case_id, n)}
        scores[case_id] = {
            name: bounded_si_sdr(cases[case_id].target, np.mean([estimates[m] for m in members], 0)) - row["base"]
            for name, members in CANDIDATES.items()
        }
    return scores, rows


def _case_runs(pairs: list[tuple[Scores, dict[str, dict]]]) -> dict[str, dict[str, list[float]]]:
    """concept -> candidate -> SI-SDRi of every case run."""
    runs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for scores, rows in pairs:
        for case_id, row in rows.items():
            for name, value in scores[case_id].items():
                runs[_concept(row)][name].append(value)
    return runs


def _by_family(case_runs: dict[str, dict[str, list[float]]]) -> dict[str, list[str]]:
    """family -> its measured concepts, sorted; concepts outside the catalog (a refused prompt) under ""."""
    families: dict[str, list[str]] = defaultdict(list)
    for concept in sorted(case_runs):
        families[BY_NAME[concept].family if concept in BY_NAME else ""].append(concept)
    return families


def _pooled(case_runs: dict[str, dict[str, list[float]]], concepts: list[str]) -> dict[str, list[float]]:
    """candidate -> SI-SDRi of every case run of ``concepts``."""
    return {name: [v for c in concepts for v in case_runs[c][name]] for name in CANDIDATES}


def _better(runs: dict[str, list[float]], base: str, margin_db: float) -> str:
    """The candidate that beats ``base`` on every case run, by ``margin_db`` on average (the best such), else base."""
    reference = np.array(runs[base])
    gains = {
        name: float(np.mean(np.array(values) - reference))
        for name, values in runs.items()
        if name != base and all(np.array(values) > reference)
    }
    gains = {name: gain for name, gain in gains.items() if gain >= margin_db}
    return max(gains, key=gains.__getitem__) if gains else base


def choose_routes(pairs: list[tuple[Scores, dict[str, dict]]], margin_db: float) -> tuple[dict[str, str], dict]:
    """The routes (family or concept -> candidate, as a Serve config keys them: a family where
    it is not dsp, a concept where it differs from its family's), and concept -> candidate ->
    list of SI-SDRi (one per case run)."""
    concepts = _case_runs(pairs)
    family_routes = {}
    for family, members in _by_family(concepts).items():
        if not family:
            continue
        means = {name: float(np.mean(values)) for name, values in _pooled(concepts, members).items()}
        # Candidates with the evidence to replace dsp; among them the best, or the mean of both
        # where it ties with the best: two methods that fail differently are the safer bet.
        clear = {name: m for name, m in means.items() if m >= means["dsp"] + margin_db}
        route = "dsp"
        if len(members) >= MIN_FAMILY_CONCEPTS and clear:
            route = max(clear, key=clear.__getitem__)
            if ENSEMBLE in clear and clear[ENSEMBLE] >= clear[route] - margin_db:
                route = ENSEMBLE
        family_routes[family] = route
    routes = {family: route for family, route in sorted(family_routes.items()) if route != "dsp"}
    for concept, runs in sorted(concepts.items()):
        if concept in BY_NAME:
            family_route = family_routes[BY_NAME[concept].family]
            if (route := _better(runs, family_route, margin_db)) != family_route:
                routes[concept] = route
    return routes, concepts


def _resolved(routes: dict[str, str]) -> dict[str, str]:
    """concept -> candidate for every concept, as the service reads ``routes``."""
    return {name: "dsp" for name in BY_NAME} | by_concept(routes)


def choose_routes_by_spans(
    marked: list[tuple[Scores, dict[str, dict]]], unmarked: list[tuple[Scores, dict[str, dict]]], margin_db: float
) -> tuple[dict[str, str], dict[str, str], dict]:
    """(routes chosen on the runs with span hints, the ``routes_without_spans`` that turn them
    into the choices made without them, concept -> candidate -> SI-SDRi of every case run).
    With runs of one kind only, that kind chooses the routes and nothing differs."""
    routes, case_runs = choose_routes(marked or unmarked, margin_db)
    if not (marked and unmarked):
        return routes, {}, case_runs
    chosen, case_runs_unmarked = choose_routes(unmarked, margin_db)
    # Families whose own route differs, then the concepts the service would still serve otherwise.
    differing = {f: chosen.get(f, "dsp") for f in FAMILIES if chosen.get(f, "dsp") != routes.get(f, "dsp")}
    served, wanted = _resolved(routes) | by_concept(differing), _resolved(chosen)
    differing |= {c: wanted[c] for c in sorted(BY_NAME) if served[c] != wanted[c]}
    for concept, runs in case_runs_unmarked.items():
        for name, values in runs.items():
            case_runs[concept][name] += values
    return routes, differing, case_runs


def category_means(
    scores: Scores, rows: dict[str, dict], served: dict[bool, dict[str, str]]
) -> dict[str, dict[str, float]]:
    """Per category, then OVERALL: each candidate's mean SI-SDRi, and ``routed``'s, each case
    served as the service routes its job (``served[hinted]``: concept -> candidate)."""
    table: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case_id, row in rows.items():
        chosen = served[row["hinted"]].get(_concept(row), "dsp")
        for group in (row["category"], "OVERALL"):
            for name in CANDIDATES:
                table[group][name].append(scores[case_id][name])
            table[group]["routed"].append(scores[case_id][chosen])
    ordered = sorted(table.items(), key=lambda kv: kv[0] == "OVERALL")
    return {group: {name: float(np.mean(v)) for name, v in values.items()} for group, values in ordered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsp", type=Path, nargs="+", required=True)
    parser.add_argument("--learned", type=Path, nargs="+", required=True)
    parser.add_argument("--score-dsp", type=Path, nargs="*", default=[], help="runs scored with the chosen routes")
    parser.add_argument("--score-learned", type=Path, nargs="*", default=[], help="their learned runs, in order")
    parser.add_argument("--margin", type=float, default=0.25, help="mean dB a candidate must win by (default 0.25)")
    args = parser.parse_args()
    if len(args.dsp) != len(args.learned):
        parser.error("give one --learned run per --dsp run")
    if len(args.score_dsp) != len(args.score_learned):
        parser.error("give one --score-learned run per --score-dsp run")
    pairs = [score_pair(d, lr) for d, lr in zip(args.dsp, args.learned, strict=True)]
    marked = [pair for pair, run in zip(pairs, args.dsp, strict=True) if with_spans(run)]
    unmarked = [pair for pair, run in zip(pairs, args.dsp, strict=True) if not with_spans(run)]
    routes, routes_without_spans, case_runs = choose_routes_by_spans(marked, unmarked, args.margin)
    scored = [score_pair(d, lr) for d, lr in zip(args.score_dsp, args.score_learned, strict=True)]
    served = {True: _resolved(routes), False: _resolved(routes) | by_concept(routes_without_spans)}
    print("concept [family]\tcase-runs\t" + "\t".join(CANDIDATES) + "\troute\twithout spans")
    for fam, concepts in sorted(_by_family(case_runs).items()):
        # The family's row (its concepts' case runs pooled, both span settings: each route was chosen on
        # its own setting's), then its concepts'.
        pooled = _pooled(case_runs, concepts)
        fam_routes = (routes.get(fam, "dsp"), routes_without_spans.get(fam, routes.get(fam, "dsp")))
        lines: list[tuple[str, dict[str, list[float]], tuple[str, ...]]] = (
            [(f"[{fam}]", pooled, fam_routes)] if fam else []
        )
        lines += [(c, case_runs[c], tuple(served[hinted].get(c, "dsp") for hinted in (True, False))) for c in concepts]
        for name, values, routed in lines:
            means = "\t".join(f"{np.mean(values[n]):.2f}" for n in CANDIDATES)
            print(f"{name}\t{len(values['dsp'])}\t{means}\t" + "\t".join(routed))
    for block, table_routes in (("routes", routes), ("routes_without_spans", routes_without_spans)):
        entries = "".join(f"\n  {c}: [{', '.join(CANDIDATES[r])}]" for c, r in table_routes.items())
        print(f"\n{block}:{entries or ' {}'}")
    runs = [*args.dsp, *args.score_dsp]
    for path, (scores, rows) in zip(runs, [*pairs, *scored], strict=True):
        chosen_here = " (routes chosen here)" if path in args.dsp else ""
        print(f"\n{path.parent.name}{chosen_here}\t" + "\t".join(CANDIDATES) + "\trouted")
        for group, group_means in category_means(scores, rows, served).items():
            print(f"{group}\t" + "\t".join(f"{m:.2f}" for m in group_means.values()))


if __name__ == "__main__":
    main()
