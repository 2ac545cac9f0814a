"""How concept routes are chosen from evaluation runs (``audiolasso_learned.training.compare``)."""

from __future__ import annotations

from audiolasso_learned.training.compare import category_means, choose_routes_by_spans
from serve_app.routing import by_concept
from serve_app.understanding.catalog import BY_NAME


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


def test_a_family_route_rests_on_several_concepts_and_a_concept_keeps_its_own_on_clear_evidence():
    marked = _runs(
        {
            "p": ("piano", {"dsp": 0.0, "learned": 3.0, "dsp+learned": 2.0}),
            "g": ("guitar", {"dsp": -5.0, "learned": 1.0, "dsp+learned": -1.0}),
            "s": ("strings", {"dsp": 1.0, "learned": 0.5, "dsp+learned": 2.0}),
            "b1": ("bass", {"dsp": 8.0, "learned": 4.0, "dsp+learned": 7.0}),
            "b2": ("bass", {"dsp": 9.0, "learned": 5.0, "dsp+learned": 8.5}),
            # Two noise concepts only: too few for a family route; each takes its own.
            "h": ("hum", {"dsp": 5.0, "learned": 9.0, "dsp+learned": 8.0}),
            "r": ("rain", {"dsp": 5.0, "learned": 9.0, "dsp+learned": 8.0}),
        }
    )
    unmarked = _runs(
        {
            "p": ("piano", {"dsp": -3.0, "learned": 3.0, "dsp+learned": 1.0}),
            "g": ("guitar", {"dsp": -8.0, "learned": 1.0, "dsp+learned": -2.0}),
            "s": ("strings", {"dsp": -2.0, "learned": 2.0, "dsp+learned": 1.0}),
            "b1": ("bass", {"dsp": 6.0, "learned": 5.0, "dsp+learned": 7.0}),
            "b2": ("bass", {"dsp": 6.0, "learned": 5.5, "dsp+learned": 7.0}),
            "h": ("hum", {"dsp": 5.0, "learned": 9.0, "dsp+learned": 8.0}),
            "r": ("rain", {"dsp": 5.0, "learned": 9.0, "dsp+learned": 8.0}),
        }
    )
    routes, without_spans, _ = choose_routes_by_spans([marked], [unmarked], margin_db=0.25)
    # Instruments pooled: the ensemble (3.7 dB against dsp's 2.6); piano and guitar beat it on
    # every case run, bass is better with dsp alone; strings' one case follows the family.
    assert routes == {
        "instrument": "dsp+learned",
        "bass": "dsp",
        "guitar": "learned",
        "piano": "learned",
        "hum": "learned",
        "rain": "learned",
    }
    # Without spans the family goes to learned, and bass (the ensemble, on both runs) keeps its own.
    assert without_spans == {"instrument": "learned", "bass": "dsp+learned"}
    # Read as the service reads them, the two blocks give each concept the second choice.
    served = {c: "dsp" for c in BY_NAME} | by_concept(routes) | by_concept(without_spans)
    assert served["strings"] == served["piano"] == "learned" and served["bass"] == "dsp+learned"
    assert served["speech"] == "dsp" and served["hum"] == "learned"


def test_a_family_tie_goes_to_the_ensemble():
    """Within the margin of the best, the mean of both methods is the family's route: two
    methods that fail differently are the safer bet on material unlike the tuning corpora."""
    runs = _runs(
        {
            "p": ("piano", {"dsp": 0.0, "learned": 4.0, "dsp+learned": 3.9}),
            "g": ("guitar", {"dsp": 0.0, "learned": 3.0, "dsp+learned": 2.9}),
            "d": ("drums", {"dsp": 6.0, "learned": 8.0, "dsp+learned": 7.9}),
        }
    )
    assert choose_routes_by_spans([runs], [], margin_db=0.25)[0] == {"instrument": "dsp+learned"}
    assert choose_routes_by_spans([runs], [], margin_db=0.05)[0] == {"instrument": "learned"}
    # The mean ties only among candidates that clear dsp by the margin themselves.
    weak_mean = _runs(
        {
            "p": ("piano", {"dsp": 0.0, "learned": 0.3, "dsp+learned": 0.1}),
            "g": ("guitar", {"dsp": 0.0, "learned": 0.3, "dsp+learned": 0.1}),
            "d": ("drums", {"dsp": 0.0, "learned": 0.3, "dsp+learned": 0.1}),
        }
    )
    assert choose_routes_by_spans([weak_mean], [], margin_db=0.25)[0] == {"instrument": "learned"}


def test_the_routed_mean_serves_a_case_as_the_service_routes_its_job():
    """In a run with span hints, a case without hints of its own is served with the routes for
    jobs without them, as the service serves it."""
    scores, rows = _runs(
        {
            "hinted": ("piano", {"dsp": 1.0, "learned": 5.0, "dsp+learned": 3.0}),
            "bare": ("piano", {"dsp": 1.0, "learned": 6.0, "dsp+learned": 2.0}),
        }
    )
    rows["hinted"] |= {"category": "music_instrument", "hinted": True}
    rows["bare"] |= {"category": "music_instrument", "hinted": False}
    served = {True: {"piano": "dsp+learned"}, False: {"piano": "learned"}}
    means = category_means(scores, rows, served)
    assert means["music_instrument"]["routed"] == (3.0 + 6.0) / 2
    assert means["OVERALL"]["dsp"] == 1.0 and list(means) == ["music_instrument", "OVERALL"]
