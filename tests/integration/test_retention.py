"""Retention and quotas over real HTTP with a real Redis: finished jobs, results and
uploads are deleted when their lifetimes end (records, events, listings and bytes),
a signed link never outlives its file, and each API key's files stay within its
storage quota, freed at once by a DELETE."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from serve_app.clock import parse_iso
from support.audio import speech_plus_noise, wav_bytes
from support.service import wait_status

SUBMIT = "/v1/queue/audio/separate"


@pytest.fixture(scope="module")
def audio() -> bytes:
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=6)
    return wav_bytes(mix, sr)


def _upload(client, audio: bytes):
    return client.post("/v1/files", files={"file": ("a.wav", audio, "audio/wav")})


def test_expired_jobs_results_and_uploads_are_deleted_everywhere(live_service, lowpass_backend, audio):
    service = live_service({"lowpass": lowpass_backend}, upload_ttl_s=2, result_ttl_s=2, job_ttl_s=3)
    ctx = service.ctx
    with service.client(service.new_key()) as client:
        upload = _upload(client, audio).json()
        request_id = client.post(SUBMIT, json={"input": {"file_id": upload["file_id"], "prompt": "keep the bass"}})
        request_id = request_id.json()["request_id"]
        assert wait_status(client, request_id)["status"] == "COMPLETED"
        result = client.get(f"/v1/queue/requests/{request_id}/result").json()
        tracks = [result["target"], result["residual"]]
        for track in [upload, *tracks]:
            expires_at = parse_iso(track["expires_at"]).timestamp()
            link_expires = int(parse_qs(urlsplit(track["signed_url"]).query)["expires"][0])
            assert link_expires <= expires_at < time.time() + 3  # the link dies with the file, not after
        stored = list((service.settings.data_dir / "files").iterdir())
        assert len(stored) == 3

        assert service.call(ctx.janitor().sweep()) == (0, 0)  # nothing is due yet
        time.sleep(2.2)
        assert service.call(ctx.janitor().sweep()) == (0, 3)  # the upload and both tracks
        assert client.get(f"/v1/files/{upload['file_id']}").status_code == 404
        assert client.get("/v1/files").json()["data"] == []
        assert client.get(f"/v1/queue/requests/{request_id}/status").status_code == 200  # the job outlives them
        time.sleep(1.0)
        assert service.call(ctx.janitor().sweep()) == (1, 0)
        assert client.get(f"/v1/queue/requests/{request_id}/status").status_code == 404
        assert client.get("/v1/queue/requests").json()["data"] == []
        assert list((service.settings.data_dir / "files").iterdir()) == []
        keys = ctx.jobs.keys
        left = service.call(ctx.redis.keys(f"{keys.root}:*{request_id}*"))
        assert left == []  # record, events, webhook log
        assert service.call(ctx.redis.zcard(keys.jobs_expiry)) == service.call(ctx.redis.zcard(keys.files_expiry)) == 0


def test_storage_quota_refuses_uploads_and_submits_until_files_are_deleted(live_service, lowpass_backend, audio):
    size = len(audio)
    service = live_service({"lowpass": lowpass_backend}, worker=False, storage_quota_bytes=size + size // 2)
    key = service.new_key()
    owner = service.call(service.ctx.api_keys.authenticate(key))
    with service.client(key) as client:
        first = _upload(client, audio)
        assert first.status_code == 201
        second = _upload(client, audio)  # would take the key past its quota
        assert second.status_code == 403
        assert second.json()["error"]["type"] == "storage_quota_exceeded"
        assert service.call(service.ctx.files.used_bytes(owner)) == first.json()["file_size"]
        with service.client(service.new_key()) as other:  # the quota is per API key
            assert _upload(other, audio).status_code == 201
        assert client.delete(f"/v1/files/{first.json()['file_id']}").status_code == 204  # frees its bytes at once
        assert service.call(service.ctx.files.used_bytes(owner)) == 0
        third = _upload(client, audio)
        assert third.status_code == 201

    full = live_service({"lowpass": lowpass_backend}, worker=False, storage_quota_bytes=size)
    with full.client(full.new_key()) as client:
        file_id = _upload(client, audio).json()["file_id"]  # exactly fills the quota
        refused = client.post(SUBMIT, json={"input": {"file_id": file_id, "prompt": "keep the bass"}})
        assert refused.status_code == 403 and refused.json()["error"]["type"] == "storage_quota_exceeded"
        assert "DELETE /v1/files" in refused.json()["error"]["message"]
