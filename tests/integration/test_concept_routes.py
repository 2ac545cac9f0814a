"""Concept routes (issue 4): a job that names no backend goes to the backend
(or the ensemble of backends) measured best for the sound it asks for. Real dsp and learned backends, real
HTTP, real Redis and worker; the broken route is a real Separator replica
object whose weights file is missing."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pydantic
import pytest
import soundfile as sf

from audiolasso_learned.backend import LearnedBackend
from serve_app.application import AppArgs
from serve_app.deployments.separator import Separator
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import HandleSeparator
from serve_app.routing import FAMILIES, by_concept, concept_route
from serve_app.understanding.catalog import BY_NAME
from support.service import InProcessHandle, wait_status

SR = 48_000
# A family's route serves its concepts (drums, woodwinds: the ensemble); piano has its own.
ROUTES = {"instrument": ["dsp", "learned"], "piano": ["learned"]}
ROUTES_WITHOUT_SPANS = {"woodwinds": ["learned"]}


@pytest.fixture(scope="module")
def service(live_service, dsp_backend, learned_backend):
    backends = {"dsp": dsp_backend, "learned": learned_backend}
    return live_service(backends, routes=ROUTES, routes_without_spans=ROUTES_WITHOUT_SPANS)


@pytest.fixture(scope="module")
def file_id(client) -> str:
    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(0).standard_normal(2 * SR).astype(np.float32) * 0.1, SR, format="WAV")
    response = client.post("/v1/files", files={"file": ("mix.wav", buf.getvalue())})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


def served_by(client, file_id: str, prompt: str, **fields) -> dict:
    response = client.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": prompt, **fields}})
    assert response.status_code == 202, response.text
    assert wait_status(client, response.json()["request_id"])["status"] == "COMPLETED"
    return client.get(response.json()["result_url"]).json()


def target_audio(client, result: dict) -> np.ndarray:
    audio, _ = sf.read(io.BytesIO(client.get(result["target"]["url"]).content), dtype="float32")
    return audio


def test_a_routed_concept_is_served_by_its_backend(client, file_id):
    result = served_by(client, file_id, "I want just the piano part")
    assert result["backend"] == "learned"
    assert result["interpretation"]["method"] == "learned-mask" and result["interpretation"]["concept"] == "piano"


def test_other_concepts_stay_on_the_default(client, file_id):
    result = served_by(client, file_id, "keep the speaker")
    assert result["backend"] == "dsp" and result["interpretation"]["backend"] == "dsp"
    assert result["interpretation"]["method"] == "deepfilternet3"


def test_an_ensemble_route_averages_its_backends(client, file_id):
    result = served_by(client, file_id, "isolate the drums")
    assert result["backend"] == "dsp+learned"
    assert result["interpretation"]["method"] == "mean of dsp:hpss-percussive, learned:learned-mask"
    alone = [
        target_audio(client, served_by(client, file_id, "isolate the drums", backend=b)) for b in ("dsp", "learned")
    ]
    np.testing.assert_allclose(target_audio(client, result), (alone[0] + alone[1]) / 2, atol=1e-5)


@pytest.mark.parametrize("choice", [{"backend": "dsp"}, {"model_variant": "default"}])
def test_a_clients_own_choice_is_never_rerouted(client, file_id, choice):
    result = served_by(client, file_id, "isolate the piano", **choice)
    assert result["backend"] == "dsp" and result["interpretation"]["method"].startswith("nmf-dictionary-piano")


def test_a_job_without_span_hints_takes_its_own_route_where_one_is_given(client, file_id):
    """Span hints make dsp's span models strong; without them the measured choice may differ."""
    marked = served_by(client, file_id, "isolate the flute", spans=[{"start": 0.2, "end": 0.8, "include": True}])
    assert marked["backend"] == "dsp+learned" and marked["interpretation"]["concept"] == "woodwinds"
    unmarked = served_by(client, file_id, "isolate the flute")
    assert unmarked["backend"] == "learned" and unmarked["interpretation"]["method"] == "learned-mask+melody-comb"
    # Concepts without such a route keep theirs either way.
    assert served_by(client, file_id, "isolate the drums")["backend"] == "dsp+learned"


def test_backends_lists_the_routes(client):
    listed = client.get("/v1/backends").json()
    assert listed["routes"] == ROUTES and listed["routes_without_spans"] == ROUTES_WITHOUT_SPANS
    # Resolved per sound: its own route, else its family's, else the default backend.
    served = listed["served_by"]
    assert set(served) == set(BY_NAME)
    assert served["piano"] == {"with_spans": ["learned"], "without_spans": ["learned"]}
    assert served["drums"] == {"with_spans": ["dsp", "learned"], "without_spans": ["dsp", "learned"]}
    assert served["woodwinds"] == {"with_spans": ["dsp", "learned"], "without_spans": ["learned"]}
    assert served["speech"] == {"with_spans": ["dsp"], "without_spans": ["dsp"]}


def test_a_single_backend_route_may_be_written_as_a_string():
    args = AppArgs.model_validate(
        {
            "backends": [{"name": "dsp"}, {"name": "learned"}],
            "routes": {"piano": "learned"},
            "routes_without_spans": {"woodwinds": "learned"},
        }
    )
    assert args.routes == {"piano": ["learned"]} and args.routes_without_spans == {"woodwinds": ["learned"]}
    family = AppArgs.model_validate(
        {"backends": [{"name": "dsp"}, {"name": "learned"}], "routes": {"event": "learned"}}
    )
    assert family.routes == {"event": ["learned"]}


def test_a_route_to_a_backend_that_failed_to_load_leaves_the_job_on_the_default(dsp_backend, tmp_path):
    broken = Separator.func_or_class("learned", "default", {"weights": str(tmp_path / "missing.safetensors")}, "cpu")
    separator = HandleSeparator(InProcessHandle(broken))

    async def available(key: str) -> bool:
        return key == "dsp" or (await separator.status()).available

    for routes in (ROUTES, {"piano": ["dsp", "learned"]}):
        planner = Planner({"dsp": dsp_backend, "learned": LearnedBackend()}, routes)
        plan = asyncio.run(planner.plan({"prompt": "isolate the piano", "spans": []}, "dsp", available))
        assert [(m.backend, m.plan.concept) for m in plan.members] == [("dsp", "piano")]


def test_a_job_with_a_visual_prompt_stays_on_the_backend_it_was_accepted_for(dsp_backend, learned_backend):
    planner = Planner({"dsp": dsp_backend, "learned": learned_backend}, ROUTES)
    job_input = {"prompt": "isolate the piano", "spans": []}
    assert asyncio.run(planner.plan(job_input, "dsp")).backend == "learned"
    job_input["video_url"] = "https://a.example/v.mp4"
    assert asyncio.run(planner.plan(job_input, "dsp")).backend == "dsp"


def test_routes_follow_the_reading_of_remove_prompts_and_open_vocabulary(dsp_backend, learned_backend):
    planner = Planner({"dsp": dsp_backend, "learned": learned_backend}, ROUTES)
    plan = asyncio.run(planner.plan({"prompt": "remove everything except the hi-hat"}, "dsp"))
    assert plan.backend == "dsp+learned" and not plan.reading.inverted
    assert [m.plan.sound for m in plan.members] == ["hi-hat", "hi-hat"]
    assert asyncio.run(planner.plan({"prompt": "drumless version"}, "dsp")).reading.inverted


def test_route_rule():
    routes = by_concept(ROUTES)
    assert concept_route(routes, "piano", "dsp", chosen=False) == ["learned"]
    assert concept_route(routes, "drums", "dsp", chosen=False) == ["dsp", "learned"]
    assert concept_route(routes, "piano", "learned", chosen=False) is None  # already there
    assert concept_route(routes, "piano", "dsp", chosen=True) is None
    assert concept_route(routes, "speech", "dsp", chosen=False) is None
    assert concept_route(routes, None, "sam-audio:large", chosen=False) is None  # a backend with no concepts


def test_a_family_route_serves_its_concepts_and_routes_without_spans_replace_by_family(dsp_backend, learned_backend):
    routes = {"instrument": ["learned"], "piano": ["dsp", "learned"], "dog": ["learned"]}
    without_spans = {"instrument": ["learned"], "bass": ["dsp", "learned"]}
    planner = Planner({"dsp": dsp_backend, "learned": learned_backend}, routes, without_spans)
    assert planner.routes["drums"] == ["learned"] and planner.routes["piano"] == ["dsp", "learned"]
    assert {"speech", "bird"}.isdisjoint(planner.routes)  # other families, other events: no route
    # Without spans the family's route there replaces piano's own; bass's own there comes first.
    assert planner.unmarked_routes["piano"] == ["learned"] == planner.unmarked_routes["drums"]
    assert planner.unmarked_routes["bass"] == ["dsp", "learned"] and planner.unmarked_routes["dog"] == ["learned"]
    spans = [{"start": 0.0, "end": 1.0, "include": True}]
    marked, unmarked = (
        asyncio.run(planner.plan({"prompt": "isolate the piano", "spans": hints}, "dsp")) for hints in (spans, [])
    )
    assert (marked.backend, unmarked.backend) == ("dsp+learned", "learned")


def test_a_family_named_like_a_concept_holds_that_concept_alone():
    """``music`` and ``other`` are a family and a concept: a route keyed by either name means
    the same sounds only while the family holds that one concept."""
    for name in set(FAMILIES) & set(BY_NAME):
        assert [c.name for c in BY_NAME.values() if c.family == name] == [name]


@pytest.mark.parametrize(
    "routes, message",
    [
        ({"kazoo": "learned"}, "unknown concept or family 'kazoo'"),
        ({"piano": "sam-audio:large"}, "not deployed"),
        ({"piano": ["dsp", "dsp"]}, "distinct"),
        ({"piano": []}, "distinct"),
    ],
)
@pytest.mark.parametrize("field", ["routes", "routes_without_spans"])
def test_routes_must_name_known_concepts_and_deployed_backends(routes, message, field):
    with pytest.raises(pydantic.ValidationError, match=f"{field}: .*{message}"):
        AppArgs.model_validate({"backends": [{"name": "dsp"}, {"name": "learned"}], field: routes})
