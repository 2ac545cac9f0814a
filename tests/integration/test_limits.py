"""Abuse limits: per-key rate limits (429 + Retry-After), load shedding when
the queue is full (503 + Retry-After), and body size limits enforced on the
bytes actually received."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from serve_app.access.ratelimit import WINDOW_S, estimated_count, retry_after_s

BODY = {"input": {"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"}}


@pytest.fixture(scope="module")
def limited(live_service, dsp_backend):
    return live_service(
        {"dsp": dsp_backend},
        worker=False,
        submits_per_minute=3,
        uploads_per_minute=2,
        max_queue_length=5,
        max_queued_per_key=2,
        max_upload_bytes=200_000,
    )


def test_submit_rate_limit_is_per_key(limited):
    with limited.client(limited.new_key("a")) as a, limited.client(limited.new_key("b")) as b:
        first = [a.post("/v1/queue/audio/separate", json=BODY) for _ in range(2)]
        assert [r.status_code for r in first] == [202, 202]
        # Cancelled jobs no longer count towards the key's queued jobs...
        for r in first:
            assert a.put(f"/v1/queue/requests/{r.json()['request_id']}/cancel").status_code == 200
        assert a.post("/v1/queue/audio/separate", json=BODY).status_code == 202
        # ...but every submit counts towards the rate.
        refused = a.post("/v1/queue/audio/separate", json=BODY)
        assert refused.status_code == 429
        assert refused.json()["error"]["type"] == "rate_limited"
        assert 1 <= int(refused.headers["retry-after"]) <= 2 * WINDOW_S
        assert b.post("/v1/queue/audio/separate", json=BODY).status_code == 202


def test_a_burst_is_not_forgotten_at_the_turn_of_the_minute():
    # 3 requests late in one minute, 1 just after it turns: still 4 within 60 s.
    assert estimated_count(previous=3, current=1, elapsed=0.01) > 3
    assert estimated_count(previous=3, current=1, elapsed=0.9) <= 3  # most of the burst slid out


@pytest.mark.parametrize(
    "previous, current, elapsed, limit",
    [
        (3, 1, 0.01, 3),
        (0, 4, 0.5, 3),
        (10, 2, 0.2, 5),
        (0, 100, 0.0, 3),
        (2, 3, 0.99, 3),
    ],
)
def test_retry_after_is_when_one_more_request_fits(previous, current, elapsed, limit):
    wait = retry_after_s(previous, current, elapsed, limit)
    assert 1 <= wait <= 2 * WINDOW_S

    def count_after(seconds: float) -> float:  # the estimate at that time, no request in between
        t = elapsed + seconds / WINDOW_S
        return estimated_count(previous, current, t) if t < 1 else estimated_count(current, 0, t - 1)

    assert count_after(wait) + 1 <= limit + 1e-9
    assert count_after(max(wait - 1.5, 0)) + 1 > limit  # not much earlier


def test_queued_jobs_per_key_are_capped(limited):
    with limited.client(limited.new_key("cap")) as c:
        codes = [c.post("/v1/queue/audio/separate", json=BODY) for _ in range(3)]
    assert [r.status_code for r in codes] == [202, 202, 429]
    assert "2 jobs waiting" in codes[2].json()["error"]["message"]
    assert int(codes[2].headers["retry-after"]) > 0


def test_upload_rate_limit(limited):
    buf = io.BytesIO()
    sf.write(buf, np.zeros(8000, np.float32), 8000, format="WAV")
    with limited.client(limited.new_key("u")) as c:
        codes = [c.post("/v1/files", files={"file": ("a.wav", buf.getvalue())}).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_full_queue_sheds_load(limited):
    responses = []
    for i in range(6):  # max_queue_length is 5; other tests may have queued some already
        with limited.client(limited.new_key(f"q{i}")) as c:
            responses.append(c.post("/v1/queue/audio/separate", json=BODY))
    shed = [r for r in responses if r.status_code == 503]
    assert shed, [r.status_code for r in responses]
    assert shed[0].json()["error"]["type"] == "overloaded" and int(shed[0].headers["retry-after"]) > 0
    assert limited.call(limited.ctx.jobs.queue_length()) == 5


def test_json_body_limit_counts_received_bytes(limited):
    big = b'{"input": {"prompt": "' + b"x" * 70_000 + b'"}}'
    with limited.client(limited.new_key("j")) as c:
        declared = c.post("/v1/queue/audio/separate", content=big, headers={"Content-Type": "application/json"})
        chunked = c.post(
            "/v1/queue/audio/separate",
            content=iter([big[:30_000], big[30_000:]]),
            headers={"Content-Type": "application/json"},
        )
    for response in (declared, chunked):
        assert response.status_code == 413, response.text
        assert response.json()["error"]["type"] == "payload_too_large"


def test_upload_limit_without_content_length(limited):
    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(40):
            yield b"\0" * 65536  # 2.6 MB, over 200 kB + multipart allowance
        yield f"\r\n--{boundary}--\r\n".encode()

    with limited.client(limited.new_key("big")) as c:
        response = c.post(
            "/v1/files", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
    assert response.status_code == 413 and response.json()["error"]["type"] == "payload_too_large"
