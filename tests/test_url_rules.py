"""audio_url and webhookUrl must be public https URLs (judged on the resolved address)."""

from __future__ import annotations

import pytest

from conftest import LiveService, make_settings


@pytest.fixture(scope="module")
def strict(redis_url, tmp_path_factory, dsp_backend):
    """A service with the production defaults: https only, public addresses only."""
    svc = LiveService(make_settings(redis_url, tmp_path_factory.mktemp("d")), {"dsp": dsp_backend}, worker=False)
    svc.start()
    with svc.client(svc.new_key()) as c:
        yield c
    svc.stop()


@pytest.mark.parametrize(
    "url, words",
    [
        ("file:///etc/passwd", "Only https"),
        ("ftp://example.com/a.wav", "Only https"),
        ("http://example.com/a.wav", "Only https"),
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
    response = strict.post("/v1/queue/audio/separate", json={
        "input": {"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"},
        "webhookUrl": "https://127.0.0.1/hook",
    })
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "webhookUrl"
    assert "local, private or reserved" in response.json()["error"]["message"]


def test_unresolvable_host_is_accepted_then_fails_at_fetch(strict):
    """DNS can fail for a moment; the address rules are applied again at fetch time."""
    response = strict.post("/v1/queue/audio/separate", json={
        "input": {"audio_url": "https://no-such-host.invalid/a.wav", "prompt": "the speaker"}})
    assert response.status_code == 202, response.text
