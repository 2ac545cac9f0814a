"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema
(schemathesis): whatever a client sends, no 5xx, and every response conforms
to the schema the service publishes. Real HTTP, real Redis; no worker runs, so
accepted jobs only queue."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

# schemathesis imports its OpenAPI machinery on first use, and pytest rewrites a plugin's
# modules with ast as they load; CPython 3.11 fails such parses that race with another
# thread's ("AST constructor recursion depth mismatch"). Load it now, before any service runs.
schemathesis.openapi.from_dict({"openapi": "3.1.0", "info": {"title": "warm-up", "version": "1"}, "paths": {}})


@pytest.fixture(scope="module")
def fuzz_service(live_service, dsp_backend):
    svc = live_service({"dsp": dsp_backend}, worker=False)
    return svc, svc.new_key("fuzz")


@pytest.fixture(scope="module")
def api_schema(fuzz_service):
    svc, _ = fuzz_service
    return schemathesis.openapi.from_url(f"{svc.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_schema_conformance(case, fuzz_service):
    _, key = fuzz_service
    # Schema-valid input can still be refused for reasons a schema cannot say
    # (exactly one of audio_url/file_id, a file that does not exist): such a
    # refusal is a 4xx by design, so "positive data acceptance" is not checked.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_without_a_key_everything_is_401(case, fuzz_service):
    # The key is checked before anything else, the body included, whatever the method.
    response = case.call()
    assert response.status_code == 401, (case.method, case.path, response.status_code)
    assert response.json()["error"]["type"] == "unauthorized"
