"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema
(schemathesis): whatever a client sends, no 5xx; every response conforms to the
schema the service publishes; a request the schema calls valid is accepted, or
refused only for a reason no schema can state; and, following the schema's
OpenAPI links (upload -> submit -> status/result/cancel/delete), sequences of
calls hold up too. Real HTTP, real Redis; in the stateless tests no worker runs,
so accepted jobs only queue; the sequences run with one, so the jobs they submit
finish and their status streams end."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.meta import ParameterLocation

from support.audio import wav_bytes
from support.service import wait_status

# schemathesis imports its OpenAPI machinery on first use, and pytest rewrites a plugin's
# modules with ast as they load; CPython 3.11 fails such parses that race with another
# thread's ("AST constructor recursion depth mismatch"). Load it now, before any service runs.
schemathesis.openapi.from_dict({"openapi": "3.1.0", "info": {"title": "warm-up", "version": "1"}, "paths": {}})


# The abuse limits would make what a call answers depend on how fast the machine runs (a 429
# once 60 uploads fell in one minute), and the stateful test's generation on what earlier calls
# answered: hypothesis then sees "inconsistent data generation". They have tests of their own.
UNLIMITED = dict(submits_per_minute=10**6, uploads_per_minute=10**6, max_queued_per_key=10**6)


@pytest.fixture(scope="module")
def fuzz_service(live_service, dsp_backend):
    svc = live_service({"dsp": dsp_backend}, worker=False, **UNLIMITED)
    return svc, svc.new_key("fuzz")


@pytest.fixture(scope="module")
def api_schema(fuzz_service):
    svc, _ = fuzz_service
    return schemathesis.openapi.from_url(f"{svc.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


# The refusals of a schema-valid request that depend on state or on what the schema cannot
# say (the file exists, the host is public, the prompt names a sound, the bytes are audio,
# a span ends after it starts): each has a type of its own, never plain "invalid_request".
REASONED = {
    "file_not_found",
    "unsafe_url",
    "unsupported_prompt",
    "unknown_backend",
    "unknown_model_variant",
    "visual_prompting_disabled",
    "visual_prompting_unsupported",
    "invalid_spans",
    "invalid_time_range",
    "unsupported_output_format",
    "empty_audio",
    "unsupported_audio",
    "corrupt_audio",
    "invalid_audio_samples",
    "too_many_channels",
    "unsupported_sample_rate",
    "audio_too_large",
    "audio_too_long",
    "payload_too_large",
    "idempotency_key_reused",  # the same Idempotency-Key drawn again for another body
}


def _positive(case) -> bool:
    """Whether every part of the request is schema-valid (a "positive" case may still carry a
    negative component)."""
    meta = case.meta
    return (
        meta is not None
        and meta.generation.mode.is_positive
        and all(c.mode.is_positive for c in meta.components.values())
    )


def valid_data_is_accepted(ctx, response, case) -> None:
    """schemathesis' positive_data_acceptance, less the refusals in REASONED."""
    if response.status_code not in (400, 413, 422) or not _positive(case):
        return
    error = response.json()["error"]
    assert error["type"] in REASONED, (
        f"{case.method} {case.formatted_path}: a schema-valid request was refused: {error}"
    )


AUDIO = wav_bytes(np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32), 8000)

CHECKS = {
    "additional_checks": [valid_data_is_accepted],
    "excluded_checks": [schemathesis.checks.positive_data_acceptance],
}


def _credentials(case, key: str) -> dict[str, str]:
    """Our key in place of the drawn one, except where the case is negative by leaving the
    Authorization header out: then it goes out without one, and must be refused."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    drawn = {name.lower() for name in (case.headers or {})}
    if header is not None and not header.mode.is_positive and "authorization" not in drawn:
        return {}
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_schema_conformance(case, fuzz_service):
    _, key = fuzz_service
    case.call_and_validate(headers=_credentials(case, key), **CHECKS)


@pytest.fixture(scope="module")
def working_service(live_service, dsp_backend):
    """A service with a worker, so that jobs end."""
    return live_service({"dsp": dsp_backend}, **UNLIMITED)


def _resolve(value, answer: dict):
    """A link's value: "$response.body#/a/b" read from the answer, anything else as it is."""
    if isinstance(value, dict):
        return {k: _resolve(v, answer) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("$response.body#/"):
        for part in value.removeprefix("$response.body#/").split("/"):
            answer = answer[part]
        return answer
    return value


def test_the_links_lead_from_an_upload_to_the_separated_audio(working_service):
    """Followed by hand, as a generated client would: every link the path needs exists and works."""
    client = working_service.client(working_service.new_key("links"))
    doc = client.get("/openapi.json").json()
    operations = {
        op["operationId"]: (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }

    def follow(operation_id: str, status: str, name: str, answer: dict) -> httpx.Response:
        link = operations[operation_id][2]["responses"][status]["links"][name]
        method, path, _ = operations[link["operationId"]]
        for param, value in _resolve(link.get("parameters", {}), answer).items():
            path = path.replace("{" + param + "}", value)
        return client.request(
            method, path, json=_resolve(link["requestBody"], answer) if "requestBody" in link else None
        )

    uploaded = client.post("/v1/files", files={"file": ("a.wav", AUDIO, "audio/wav")})
    assert uploaded.status_code == 201, uploaded.text
    assert follow("upload", "201", "GetFile", uploaded.json()).json()["file_id"] == uploaded.json()["file_id"]
    submitted = follow("upload", "201", "Separate", uploaded.json())
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert follow("submit", "202", "Status", job).json()["request_id"] == job["request_id"]
    assert wait_status(client, job["request_id"])["status"] == "COMPLETED"
    result = follow("submit", "202", "Result", job)
    assert result.status_code == 200, result.text
    for name in ("DownloadTarget", "DownloadResidual"):
        audio = follow("result", "200", name, result.json())
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF", (name, audio.status_code)


def test_call_sequences_along_the_openapi_links(working_service):
    service = working_service
    api_schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    answered: set[tuple[str, str, int]] = set()
    real_audio: set[str] = set()  # ids of the cases whose upload body was replaced

    class Sequences(api_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self):
            # A key of its own per sequence: listings then hold only this sequence's jobs and
            # files, so a sequence replayed by Hypothesis draws from the same items.
            self.key = service.new_key("sequences")

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {self.key}"}}

        def before_call(self, case):
            # An Idempotency-Key binds state that outlives the run: Hypothesis replaying a
            # sequence would meet its own earlier keys (test_idempotency.py covers them).
            if case.headers:
                case.headers.pop("Idempotency-Key", None)
            if (case.method, case.path) == ("POST", "/v1/files") and _positive(case):
                # Sequences start from real audio (random bytes are fuzzed in the test above).
                case.body = {"file": AUDIO}
                real_audio.add(case.id)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answered.add((case.method, case.path, response.status_code))
            checks = dict(CHECKS)
            if case.id in real_audio:  # schemathesis would judge the replaced body, not what it generated
                checks["excluded_checks"] = [*CHECKS["excluded_checks"], schemathesis.checks.negative_data_rejection]
            case.validate_response(response, transport_kwargs=kwargs, **checks)

    Sequences.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=5,
            derandomize=True,  # a fixed seed: runs differ only where the service's answers do
            deadline=None,
            suppress_health_check=list(HealthCheck),
            # Replaying a saved sequence meets a service in another state (jobs ended, files
            # deleted), which Hypothesis reports as a flaky strategy: every run starts afresh.
            database=None,
        )
    )
    # The links led somewhere: ids from an upload's answer reached later calls (a generated id
    # is never found). How far a run gets (submit, then the job) varies with the generation.
    followed = {
        ("GET", "/v1/files/{file_id}", 200),
        ("DELETE", "/v1/files/{file_id}", 204),
        ("POST", "/v1/queue/audio/separate", 202),
    }
    assert followed & answered, sorted(answered)


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_without_a_key_everything_is_401(case, fuzz_service):
    # The key is checked before anything else, the body included, whatever the method.
    response = case.call()
    assert response.status_code == 401, (case.method, case.path, response.status_code)
    assert response.json()["error"]["type"] == "unauthorized"
