"""Uploads and results in an S3-compatible object store (AUDIOLASSO_STORAGE=s3), over real
HTTP on both sides: the service on a socket, and moto's S3 server (a stand-in for AWS S3 or
MinIO, which cannot run here) on another. Nothing lands on the local disk but temporary files;
downloads stream through the API or redirect to presigned URLs; ownership, signed-link expiry,
retention and quotas work as with local storage; an unreachable store is a 503, not a 500."""

from __future__ import annotations

import io
import socket
import time
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import numpy as np
import pytest
import soundfile as sf
from moto.server import ThreadedMotoServer

from serve_app.errors import StorageUnavailable
from support.audio import speech_plus_noise, wav_bytes
from support.service import wait_status

SUBMIT = "/v1/queue/audio/separate"
BUCKET = "audiolasso-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on its own port, with credentials in the environment (boto3's chain)."""
    mp = pytest.MonkeyPatch()
    for name, value in CREDENTIALS.items():
        mp.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client, server
    server.stop()
    mp.undo()


def _objects(client, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"].removeprefix(prefix) for o in listing.get("Contents", []))


@pytest.fixture(scope="module")
def audio() -> tuple[bytes, np.ndarray]:
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=8)
    return wav_bytes(mix, sr, subtype="FLOAT"), mix


def _s3_service(live_service, backend, s3, prefix: str, **settings):
    endpoint = s3[0]
    return live_service(
        {"lowpass": backend},
        storage="s3",
        s3_bucket=BUCKET,
        s3_prefix=prefix,
        s3_endpoint_url=endpoint,
        s3_region="us-east-1",
        **settings,
    )


def _separate(client, data: bytes) -> tuple[dict, dict]:
    upload = client.post("/v1/files", files={"file": ("take.wav", data, "audio/wav")})
    assert upload.status_code == 201, upload.text
    submitted = client.post(SUBMIT, json={"input": {"file_id": upload.json()["file_id"], "prompt": "keep the bass"}})
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["request_id"]
    assert wait_status(client, request_id)["status"] == "COMPLETED"
    return upload.json(), client.get(f"/v1/queue/requests/{request_id}/result").json()


def _audio(data: bytes) -> np.ndarray:
    return sf.read(io.BytesIO(data), dtype="float32")[0]


def test_uploads_and_results_live_in_the_bucket_and_stream_through_the_api(live_service, lowpass_backend, s3, audio):
    data, mix = audio
    service = _s3_service(live_service, lowpass_backend, s3, "stream/")
    with service.client(service.new_key()) as client, service.client(service.new_key()) as stranger:
        upload, result = _separate(client, data)
        ids = sorted([upload["file_id"], result["target"]["file_id"], result["residual"]["file_id"]])
        assert _objects(s3[1], "stream/") == ids
        assert not (service.settings.data_dir / "files").exists() or not any(
            (service.settings.data_dir / "files").iterdir()
        )
        assert list((service.settings.data_dir / "tmp").iterdir()) == []  # staged input and tracks removed

        target = client.get(result["target"]["url"])
        residual = client.get(result["residual"]["url"])
        assert target.status_code == residual.status_code == 200
        assert target.headers["content-type"] == "audio/wav" and "attachment" in target.headers["content-disposition"]
        assert int(target.headers["content-length"]) == result["target"]["file_size"] == len(target.content)
        np.testing.assert_allclose(_audio(target.content) + _audio(residual.content), mix, atol=1e-6)
        assert client.get(upload["url"]).content == data  # the upload, byte for byte

        # ownership and signed links as with local storage
        assert stranger.get(result["target"]["url"]).status_code == 404
        with httpx.Client() as anonymous:
            assert anonymous.get(result["target"]["signed_url"]).content == target.content
            assert anonymous.get(result["target"]["url"]).status_code == 401

        # DELETE removes the object and gives the quota back
        assert client.delete(f"/v1/files/{upload['file_id']}").status_code == 204
        assert upload["file_id"] not in _objects(s3[1], "stream/")
        assert client.get(upload["url"]).status_code == 404


def test_presigned_downloads_redirect_to_the_store_for_no_longer_than_the_link(
    live_service, lowpass_backend, s3, audio
):
    data, _ = audio
    service = _s3_service(
        live_service, lowpass_backend, s3, "presigned/", s3_downloads="presigned", s3_presign_ttl_s=120
    )
    with service.client(service.new_key()) as client, service.client(service.new_key()) as stranger:
        upload, result = _separate(client, data)
        answer = client.get(upload["url"])
        assert answer.status_code == 307
        location = answer.headers["location"]
        assert location.startswith(s3[0]) and int(parse_qs(urlsplit(location).query)["X-Amz-Expires"][0]) == 120
        with httpx.Client() as anonymous:
            fetched = anonymous.get(location)
            assert fetched.content == data
            assert 'filename="take.wav"' in fetched.headers["content-disposition"]
            # a signed link that has 30 s left presigns for at most 30 s
            assert stranger.get(upload["url"]).status_code == 404  # ownership is checked before presigning
            signed = anonymous.get(result["target"]["signed_url"])
            assert signed.status_code == 307
            link_left = int(parse_qs(urlsplit(result["target"]["signed_url"]).query)["expires"][0]) - time.time()
            assert int(parse_qs(urlsplit(signed.headers["location"]).query)["X-Amz-Expires"][0]) <= min(
                120, link_left + 1
            )


def test_retention_deletes_the_objects(live_service, lowpass_backend, s3, audio):
    data, _ = audio
    service = _s3_service(live_service, lowpass_backend, s3, "retention/", upload_ttl_s=1, result_ttl_s=1, job_ttl_s=1)
    with service.client(service.new_key()) as client:
        _separate(client, data)
        assert len(_objects(s3[1], "retention/")) == 3
        time.sleep(1.2)
        assert service.call(service.ctx.janitor().sweep()) == (1, 1)  # the job (with its tracks), then the upload
        assert _objects(s3[1], "retention/") == []


def test_a_store_outage_delays_retention_and_orphans_no_object(live_service, lowpass_backend, s3, audio):
    """The bytes are deleted before the record: with the store down, the sweep fails and keeps
    the record (and its expiry), and the next sweep after the outage deletes both."""
    data, _ = audio
    bucket_client = s3[1]
    service = _s3_service(live_service, lowpass_backend, s3, "outage/", upload_ttl_s=1)
    with service.client(service.new_key()) as client:
        upload = client.post("/v1/files", files={"file": ("take.wav", data, "audio/wav")}).json()
        time.sleep(1.2)
        s3_server = s3[2]
        s3_server.stop()
        try:
            with pytest.raises(StorageUnavailable):
                service.call(service.ctx.janitor().sweep())
            assert client.get(f"/v1/files/{upload['file_id']}").status_code == 200  # still on record
            assert client.delete(f"/v1/files/{upload['file_id']}").status_code == 503  # and retryable
        finally:
            s3_server.start()  # moto keeps its buckets in this process: the object is still there
        assert _objects(bucket_client, "outage/") == [upload["file_id"]]
        assert service.call(service.ctx.janitor().sweep()) == (0, 1)
        assert _objects(bucket_client, "outage/") == []
        assert client.get(f"/v1/files/{upload['file_id']}").status_code == 404


def test_an_unreachable_store_is_a_503_and_not_ready(live_service, lowpass_backend, s3, audio):
    data, _ = audio
    port = _free_port()  # nothing listens there
    service = live_service(
        {"lowpass": lowpass_backend},
        storage="s3",
        s3_bucket=BUCKET,
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        s3_region="us-east-1",
    )
    with service.client(service.new_key()) as client:
        upload = client.post("/v1/files", files={"file": ("take.wav", data, "audio/wav")})
        assert upload.status_code == 503, upload.text
        assert upload.json()["error"]["type"] == "service_unavailable" and upload.headers["retry-after"]
        assert str(port) not in upload.text  # the store's address stays out of the answer
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["storage"].startswith("unavailable")
        assert client.get("/v1/files").json()["data"] == []  # nothing half-stored
        assert list((service.settings.data_dir / "tmp").iterdir()) == []
