"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema
(schemathesis): whatever a client sends, no 5xx, and every response conforms
to the schema the service publishes. Real HTTP, real Redis; no worker runs, so
accepted jobs only queue."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from conftest import LiveService, make_settings


@pytest.fixture(scope="module")
def fuzz_service(redis_url, tmp_path_factory, dsp_backend):
    svc = LiveService(make_settings(redis_url, tmp_path_factory.mktemp("fuzz")), {"dsp": dsp_backend}, worker=False)
    svc.start()
    yield svc, svc.new_key("fuzz")
    svc.stop()


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
