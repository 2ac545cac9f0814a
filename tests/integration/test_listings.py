"""Listing one's requests and files, and deleting a finished request, over real HTTP
(real Redis; the out-of-tree lowpass test backend, so jobs finish quickly)."""

from __future__ import annotations

import numpy as np
import pytest

from support.audio import wav_bytes
from support.service import wait_status


def _upload(client, seed: int) -> dict:
    audio = np.random.default_rng(seed).normal(0, 0.1, 16000)
    response = client.post("/v1/files", files={"file": (f"take{seed}.wav", wav_bytes(audio, 16000), "audio/wav")})
    assert response.status_code == 201, response.text
    return response.json()


def _submit(client, file_id: str) -> dict:
    body = {"input": {"file_id": file_id, "prompt": "the low end", "backend": "lowpass"}}
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def _all(client, path: str, **params) -> list[dict]:
    """Every page of a listing, following next_cursor."""
    items: list[dict] = []
    cursor = None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture(scope="module")
def queued(live_service, lowpass_backend):
    """A service with no worker, so jobs stay IN_QUEUE until cancelled."""
    return live_service({"lowpass": lowpass_backend}, worker=False)


@pytest.fixture(scope="module")
def working(live_service, lowpass_backend):
    return live_service({"lowpass": lowpass_backend})


def test_requests_are_listed_newest_first_a_page_at_a_time(queued):
    key, other = queued.new_key(), queued.new_key()
    with queued.client(key) as client, queued.client(other) as stranger:
        upload = _upload(client, 1)
        submitted = [_submit(client, upload["file_id"])["request_id"] for _ in range(5)]
        _submit(stranger, _upload(stranger, 2)["file_id"])

        first = client.get("/v1/queue/requests", params={"limit": 2}).json()
        assert [item["request_id"] for item in first["data"]] == submitted[::-1][:2]
        assert first["next_cursor"] == submitted[3]
        listed = _all(client, "/v1/queue/requests", limit=2)
        assert [item["request_id"] for item in listed] == submitted[::-1]
        # Each item is the status object: links and the queue position included.
        assert all(item["status"] == "IN_QUEUE" and item["status_url"].endswith("/status") for item in listed)
        assert listed[-1]["queue_position"] < listed[0]["queue_position"]

        files = client.get("/v1/files").json()
        assert [f["file_id"] for f in files["data"]] == [upload["file_id"]] and files["next_cursor"] is None


def test_listing_filters_by_status_and_creation_time(queued):
    with queued.client(queued.new_key()) as client:
        file_id = _upload(client, 3)["file_id"]
        ids = [_submit(client, file_id)["request_id"] for _ in range(4)]
        assert client.put(f"/v1/queue/requests/{ids[1]}/cancel").status_code == 200

        cancelled = _all(client, "/v1/queue/requests", status="CANCELLED")
        assert [item["request_id"] for item in cancelled] == [ids[1]]
        both = client.get("/v1/queue/requests", params=[("status", "CANCELLED"), ("status", "IN_QUEUE")]).json()
        assert len(both["data"]) == 4

        middle = client.get(f"/v1/queue/requests/{ids[2]}/status").json()["created_at"]
        after = _all(client, "/v1/queue/requests", created_after=middle)
        before = _all(client, "/v1/queue/requests", created_before=middle)
        # Ids are made in the same millisecond as created_at, so the split is exact.
        assert {i["request_id"] for i in after} | {i["request_id"] for i in before} == set(ids)
        assert ids[2] in {i["request_id"] for i in after} and ids[2] not in {i["request_id"] for i in before}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "req_nonsense"}, "cursor"),
        ({"status": "DONE"}, "status[0]"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-01-02T00:00:00Z", "created_before": "2026-01-01T00:00:00Z"}, "created_after"),
    ],
)
def test_a_bad_listing_query_is_a_422_naming_the_parameter(queued, params, field):
    with queued.client(queued.new_key()) as client:
        response = client.get("/v1/queue/requests", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["type"] == ("invalid_time_range" if "created_before" in params else "invalid_request")


def test_an_unfinished_request_cannot_be_deleted(queued):
    with queued.client(queued.new_key()) as client:
        request_id = _submit(client, _upload(client, 4)["file_id"])["request_id"]
        response = client.delete(f"/v1/queue/requests/{request_id}")
        assert response.status_code == 409 and response.json()["error"]["type"] == "conflict"
        assert client.get(f"/v1/queue/requests/{request_id}/status").json()["status"] == "IN_QUEUE"

        assert client.put(f"/v1/queue/requests/{request_id}/cancel").status_code == 200
        assert client.delete(f"/v1/queue/requests/{request_id}").status_code == 204
        assert client.get(f"/v1/queue/requests/{request_id}/status").status_code == 404
        assert client.delete(f"/v1/queue/requests/{request_id}").status_code == 404


def test_deleting_a_completed_request_removes_its_result_files_but_not_the_upload(working):
    key = working.new_key()
    with working.client(key) as client, working.client(working.new_key()) as stranger:
        upload = _upload(client, 5)
        request_id = _submit(client, upload["file_id"])["request_id"]
        assert wait_status(client, request_id)["status"] == "COMPLETED"
        result = client.get(f"/v1/queue/requests/{request_id}/result").json()
        tracks = {result["target"]["file_id"], result["residual"]["file_id"]}
        listed = _all(client, "/v1/files", purpose="result")
        assert {f["file_id"] for f in listed} == tracks
        assert [f["file_id"] for f in _all(client, "/v1/files", purpose="upload")] == [upload["file_id"]]

        assert stranger.delete(f"/v1/queue/requests/{request_id}").status_code == 404
        assert client.delete(f"/v1/queue/requests/{request_id}").status_code == 204
        assert _all(client, "/v1/files", purpose="result") == []
        assert all(client.get(f"/v1/files/{file_id}").status_code == 404 for file_id in tracks)
        assert client.get(f"/v1/files/{upload['file_id']}").status_code == 200
        assert _all(client, "/v1/queue/requests") == []
