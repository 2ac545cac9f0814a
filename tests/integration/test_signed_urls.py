"""Signed download links: work without an API key, expire, and cannot be
altered to reach another file or another route."""

from __future__ import annotations

import io
import time
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import soundfile as sf

from serve_app.access.signed_urls import UrlSigner
from support.service import wait_status


@pytest.fixture(scope="module")
def service(live_service, dsp_backend):
    return live_service({"dsp": dsp_backend}, signed_url_ttl_s=3)


@pytest.fixture(scope="module")
def result(service):
    buf = io.BytesIO()
    sf.write(buf, np.random.default_rng(0).standard_normal(8000).astype(np.float32) * 0.1, 8000, format="WAV")
    with service.client(service.new_key()) as c:
        file_id = c.post("/v1/files", files={"file": ("a.wav", buf.getvalue())}).json()["file_id"]
        rid = c.post("/v1/queue/audio/separate", json={"input": {"file_id": file_id, "prompt": "the speaker"}}).json()[
            "request_id"
        ]
        assert wait_status(c, rid)["status"] == "COMPLETED"
        body = c.get(f"/v1/queue/requests/{rid}/result").json()
        body["_target_bytes"] = c.get(body["target"]["url"]).content
        return body


def test_signed_link_downloads_without_a_key(service, result):
    with service.client() as anonymous:
        response = anonymous.get(result["target"]["signed_url"])
    assert response.status_code == 200 and response.content == result["_target_bytes"]


def test_signed_link_cannot_be_altered(service, result):
    target, residual = result["target"], result["residual"]
    query = urlsplit(target["signed_url"]).query
    params = parse_qs(query)
    with service.client() as anonymous:
        other_file = anonymous.get(f"{residual['url']}?{query}")
        later = anonymous.get(
            f"{target['url']}?expires={int(params['expires'][0]) + 3600}&signature={params['signature'][0]}"
        )
        other_route = anonymous.get(f"{service.url}/v1/files/{target['file_id']}?{query}")
        forged = anonymous.get(f"{target['url']}?expires={params['expires'][0]}&signature=AAAA")
    for response in (other_file, later, forged, other_route):
        assert response.status_code == 401, response.text
        assert response.json()["error"]["type"] == "unauthorized"


def test_signed_link_expires(service, result):
    time.sleep(4.2)  # the service's links last 3 s
    with service.client() as anonymous:
        response = anonymous.get(result["target"]["signed_url"])
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_signer_rejects_other_keys_and_bad_expiry():
    a, b = UrlSigner(b"k1", ttl_s=60), UrlSigner(b"k2", ttl_s=60)
    params = parse_qs(a.query("file_x", now=1000))
    expires, signature = params["expires"][0], params["signature"][0]
    assert a.verify("file_x", expires, signature, now=1000)
    assert not b.verify("file_x", expires, signature, now=1000)
    assert not a.verify("file_y", expires, signature, now=1000)
    assert not a.verify("file_x", expires, signature, now=1061)
    assert not a.verify("file_x", "-5", signature, now=0)
    assert not a.verify("file_x", "²", signature, now=0)  # a digit, but not an ASCII one
    assert not a.verify("fïle_x", expires, "sïgnature", now=1000)
