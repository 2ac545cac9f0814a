"""Idempotency-Key on submit and upload, over real HTTP with a real Redis: a retry
gets the original answer, a key reused for another request is refused, and
concurrent retries create one job."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from support.audio import speech_plus_noise, wav_bytes

SUBMIT = "/v1/queue/audio/separate"


@pytest.fixture(scope="module")
def service(live_service, lowpass_backend):
    return live_service({"lowpass": lowpass_backend}, worker=False)


@pytest.fixture(scope="module")
def audio() -> bytes:
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=5)
    return wav_bytes(mix, sr)


@pytest.fixture(scope="module")
def file_id(client, audio) -> str:
    return client.post("/v1/files", files={"file": ("a.wav", audio, "audio/wav")}).json()["file_id"]


def _body(file_id: str, prompt: str = "keep the bass") -> dict:
    return {"input": {"file_id": file_id, "prompt": prompt}}


def _listed(client) -> set[str]:
    return {item["request_id"] for item in client.get("/v1/queue/requests").json()["data"]}


def test_a_retry_with_the_same_key_gets_the_original_job(client, file_id):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = client.post(SUBMIT, json=_body(file_id), headers=key)
    again = client.post(SUBMIT, json=_body(file_id), headers=key)
    assert first.status_code == again.status_code == 202
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["request_id"] in _listed(client)
    without_key = client.post(SUBMIT, json=_body(file_id)).json()["request_id"]
    assert without_key != first.json()["request_id"]


def test_the_same_key_for_another_request_is_refused(client, file_id):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    assert client.post(SUBMIT, json=_body(file_id), headers=key).status_code == 202
    response = client.post(SUBMIT, json=_body(file_id, "remove the bass"), headers=key)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["type"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")


def test_a_refused_request_does_not_use_up_its_key(client, file_id):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    refused = client.post(SUBMIT, json=_body(file_id, "isolate the violin"), headers=key)
    assert refused.status_code == 422 and refused.json()["error"]["type"] == "unsupported_prompt"
    assert client.post(SUBMIT, json=_body(file_id), headers=key).status_code == 202


def test_concurrent_retries_create_one_job(client, file_id):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    before = _listed(client)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.post(SUBMIT, json=_body(file_id), headers=key), range(8)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["request_id"] for a in answers}) == 1
    assert len(_listed(client) - before) == 1


def test_keys_belong_to_one_api_key_and_last_a_day(service, client, file_id, audio):
    key = str(uuid.uuid4())
    mine = client.post(SUBMIT, json=_body(file_id), headers={"Idempotency-Key": key}).json()["request_id"]
    with service.client(service.new_key()) as other:
        their_file = other.post("/v1/files", files={"file": ("a.wav", audio, "audio/wav")}).json()["file_id"]
        theirs = other.post(SUBMIT, json=_body(their_file), headers={"Idempotency-Key": key})
    assert theirs.status_code == 202 and theirs.json()["request_id"] != mine
    pattern = service.ctx.jobs.keys.idempotency("*", "submit", hashlib.sha256(key.encode()).hexdigest())
    ttls = [service.call(service.ctx.redis.ttl(k)) for k in service.call(service.ctx.redis.keys(pattern))]
    assert len(ttls) == 2 and all(86000 < ttl <= 86400 for ttl in ttls)


@pytest.mark.parametrize("bad", ["x" * 256, "has space"])
def test_a_malformed_key_is_refused(client, file_id, bad):
    response = client.post(SUBMIT, json=_body(file_id), headers={"Idempotency-Key": bad})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"


def test_an_upload_retried_with_its_key_is_stored_once(client, audio):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    files = {"file": ("take1.wav", audio, "audio/wav")}
    first = client.post("/v1/files", files=files, headers=key)
    again = client.post("/v1/files", files=files, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["file_id"] == first.json()["file_id"] and again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/files", files={"file": ("take1.wav", audio[:-2000], "audio/wav")}, headers=key)
    assert other.status_code == 422 and other.json()["error"]["type"] == "idempotency_key_reused"
