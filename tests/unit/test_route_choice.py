"""How concept routes are chosen from evaluation runs (``audiolasso_learned.training.compare``)."""

from __future__ import annotations

from audiolasso_learned.training.compare import choose_routes_by_spans


def _runs(scores_by_case: dict[str, tuple[str, dict[str, float]]]):
    """One run: per case its concept and each candidate's SI-SDRi."""
    scores = {case: candidates for case, (_, candidates) in scores_by_case.items()}
    rows = {case: {"interpretation": {"concept": concept}} for case, (concept, _) in scores_by_case.items()}
    return scores, rows


def test_routes_without_spans_hold_only_the_choices_that_differ():
    marked = _runs(
        {
            "p1": ("piano", {"dsp": 4.0, "learned": 3.0, "dsp+learned": 5.0}),
            "p2": ("piano", {"dsp": 2.0, "learned": 2.5, "dsp+learned": 3.0}),
            "d1": ("drums", {"dsp": 5.0, "learned": 5.5, "dsp+learned": 7.0}),
            "s1": ("speech", {"dsp": 8.0, "learned": 3.0, "dsp+learned": 6.0}),
        }
    )
    unmarked = _runs(
        {
            "p1": ("piano", {"dsp": -2.0, "learned": 3.0, "dsp+learned": 1.0}),
            "p2": ("piano", {"dsp": -1.0, "learned": 2.5, "dsp+learned": 1.5}),
            "d1": ("drums", {"dsp": 4.0, "learned": 4.5, "dsp+learned": 6.0}),
            "s1": ("speech", {"dsp": 7.0, "learned": 7.5, "dsp+learned": 7.1}),  # learned by 0.5 dB: taken
        }
    )
    routes, without_spans, by_concept = choose_routes_by_spans([marked], [unmarked], margin_db=0.25)
    assert routes == {"drums": "dsp+learned", "piano": "dsp+learned"}
    assert without_spans == {"piano": "learned", "speech": "learned"}
    assert len(by_concept["piano"]["dsp"]) == 4  # both settings' case runs are reported
    # One kind of run alone chooses the routes; nothing differs.
    assert choose_routes_by_spans([], [unmarked], 0.25)[:2] == (
        {"drums": "dsp+learned", "piano": "learned", "speech": "learned"},
        {},
    )
