"""audio_url and webhookUrl must be public https URLs (judged on the resolved address)."""

from __future__ import annotations

import time

import pytest

from serve_app import ids
from serve_app.clock import now_iso
from support.service import LiveService, make_settings
from support.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def strict(live_service, dsp_backend):
    """A service with the production defaults: https only, public addresses only."""
    svc = live_service({"dsp": dsp_backend}, worker=False)
    with svc.client(svc.new_key()) as c:
        yield c


@pytest.mark.parametrize(
    "url, words",
    [
        ("file:///etc/passwd", "must be an https URL, not file:"),
        ("ftp://example.com/a.wav", "must be an https URL, not ftp:"),
        ("http://example.com/a.wav", "must be an https URL, not http:"),
        ("https://localhost/a.wav", "local, private or reserved"),
        ("https://127.0.0.1/a.wav", "local, private or reserved"),
        ("https://[::1]/a.wav", "local, private or reserved"),
        ("https://10.1.2.3/a.wav", "local, private or reserved"),
        ("https://192.168.0.10/a.wav", "local, private or reserved"),
        ("https://169.254.169.254/latest/meta-data", "local, private or reserved"),
        ("https://0.0.0.0/a.wav", "local, private or reserved"),
        ("https://224.0.0.1/a.wav", "local, private or reserved"),
        ("https://240.0.0.1/a.wav", "local, private or reserved"),
        ("https://[::ffff:127.0.0.1]/a.wav", "local, private or reserved"),
        ("https://2130706433/a.wav", "local, private or reserved"),
        ("https://", "no host"),
        ("https://localhost.:443/a.wav", "local, private or reserved"),
    ],
)
def test_non_public_audio_urls_are_rejected(strict, url, words):
    response = strict.post("/v1/queue/audio/separate", json={"input": {"audio_url": url, "prompt": "the speaker"}})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "unsafe_url" and error["field"] == "input.audio_url"
    assert words in error["message"]


def test_webhook_url_obeys_the_same_rules(strict):
    response = strict.post(
        "/v1/queue/audio/separate",
        json={
            "input": {"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"},
            "webhookUrl": "https://127.0.0.1/hook",
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "webhookUrl"
    assert "local, private or reserved" in response.json()["error"]["message"]


def test_unresolvable_host_is_accepted_then_fails_at_fetch(strict):
    """DNS can fail for a moment; the address rules are applied again at fetch time."""
    response = strict.post(
        "/v1/queue/audio/separate",
        json={"input": {"audio_url": "https://no-such-host.invalid/a.wav", "prompt": "the speaker"}},
    )
    assert response.status_code == 202, response.text


def test_webhook_url_is_checked_again_at_delivery(redis_url, tmp_path, dsp_backend):
    """A job whose webhookUrl points at a private address when it ends (here
    recorded past the submit-time check, as a DNS answer that changed would be)
    gets no delivery: the attempt is refused and never retried."""
    svc = LiveService(
        make_settings(redis_url, tmp_path, allow_http_urls=True), {"dsp": dsp_backend}, worker=False
    ).start()
    receiver = Receiver()
    try:
        key = svc.new_key()
        url = receiver.script("/private")
        with svc.client(key) as c:
            refused = c.post(
                "/v1/queue/audio/separate",
                json={
                    "input": {"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"},
                    "webhookUrl": url,
                },
            )
            assert refused.status_code == 422 and refused.json()["error"]["field"] == "webhookUrl"

            rid = ids.new_id("req")
            svc.call(
                svc.ctx.jobs.submit(
                    request_id=rid,
                    owner=svc.call(svc.ctx.api_keys.authenticate(key)),
                    backend="dsp",
                    input={"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"},
                    plan={},
                    webhook_url=url,
                    warnings=[],
                    created_at=now_iso(),
                )
            )
            assert c.put(f"/v1/queue/requests/{rid}/cancel").json()["status"] == "CANCELLED"
            deadline = time.monotonic() + 30
            while (
                not (deliveries := c.get(f"/v1/queue/requests/{rid}/webhooks").json()["deliveries"])
                or deliveries[0]["state"] == "pending"
            ):
                assert time.monotonic() < deadline, deliveries
                time.sleep(0.05)
        [attempt] = deliveries[0]["attempts"]
        assert deliveries[0]["state"] == "failed"
        assert attempt["error"].startswith("unsafe_url") and "local, private or reserved" in attempt["error"]
        assert receiver.at("/private") == []
    finally:
        receiver.close()
        svc.stop()
