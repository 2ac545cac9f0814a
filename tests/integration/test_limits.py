"""Abuse limits: per-key rate limits (429 + Retry-After) and storage quota (403), checked
before anything else a request asks for and inside the script that creates its job; load
shedding when the queue is full (503 + Retry-After), and body size limits enforced on the
bytes actually received."""

from __future__ import annotations

import contextlib
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
from redis.asyncio.connection import AbstractConnection

from serve_app import ids
from serve_app.access.ratelimit import WINDOW_S, estimated_count, retry_after_s
from serve_app.errors import RateLimited

SUBMIT = "/v1/queue/audio/separate"
BODY = {"input": {"audio_url": "https://93.184.215.14/a.wav", "prompt": "the speaker"}}
# A well-formed id of no upload: the schema accepts it, the submit's own checks refuse it (422).
MISSING_FILE = {"input": {"file_id": ids.new_id("file"), "prompt": "the speaker"}}


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


# --- the limits as the submit script checks them ------------------------------


def _wav() -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.zeros(8000, np.float32), 8000, format="WAV")
    return buf.getvalue()


def _request_ids(client) -> list[str]:
    return [r["request_id"] for r in client.get("/v1/queue/requests").json()["data"]]


@contextlib.contextmanager
def redis_round_trips(service) -> Iterator[list[str]]:
    """What ``service`` sends to Redis (under its own key prefix) while the block runs: one
    entry per round trip, a command or a whole pipeline, as its command names."""
    root = service.ctx.jobs.keys.root.encode()
    sent: list[str] = []
    send = AbstractConnection.send_packed_command

    async def counted(self, command, check_health=True):
        parts = [command] if isinstance(command, (bytes, str)) else list(command)
        packed = b"".join(p.encode() if isinstance(p, str) else p for p in parts)
        if root in packed:
            sent.append(" ".join(name.decode() for name in re.findall(rb"\*\d+\r\n\$\d+\r\n(\w+)", packed)))
        await send(self, command, check_health)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AbstractConnection, "send_packed_command", counted)
        yield sent


@pytest.fixture(scope="module")
def admitting(live_service, dsp_backend):
    """Only the API talks to Redis (no worker, no webhook sender), at 3 submits per minute."""
    return live_service({"dsp": dsp_backend}, worker=False, webhooks=False, submits_per_minute=3)


def test_a_rate_limited_submit_creates_no_job(admitting):
    queued_before = admitting.call(admitting.ctx.jobs.queue_length())
    with admitting.client(admitting.new_key()) as c:
        accepted = [c.post(SUBMIT, json=BODY) for _ in range(3)]
        assert [r.status_code for r in accepted] == [202, 202, 202]
        refused = c.post(SUBMIT, json=BODY)
        assert refused.status_code == 429, refused.text
        error = refused.json()["error"]
        assert error["type"] == "rate_limited" and "at most 3 per minute per API key" in error["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 2 * WINDOW_S
        assert sorted(_request_ids(c)) == sorted(r.json()["request_id"] for r in accepted)
    assert admitting.call(admitting.ctx.jobs.queue_length()) == queued_before + 3  # nothing else joined the queue


def test_the_rate_limit_comes_before_the_input_checks(admitting):
    with admitting.client(admitting.new_key()) as c:
        refused = [c.post(SUBMIT, json=MISSING_FILE) for _ in range(3)]
        assert [r.json()["error"]["type"] for r in refused] == ["file_not_found"] * 3  # and each counted
        over = [c.post(SUBMIT, json=MISSING_FILE), c.post(SUBMIT, json=BODY)]
        assert [r.status_code for r in over] == [429, 429]
        assert all(int(r.headers["retry-after"]) >= 1 for r in over)
        assert _request_ids(c) == []


def test_a_rate_limited_submit_binds_no_idempotency_key(admitting):
    with admitting.client(admitting.new_key()) as c:
        for _ in range(3):
            assert c.post(SUBMIT, json=BODY).status_code == 202
        key = {"Idempotency-Key": str(uuid.uuid4())}
        assert c.post(SUBMIT, json=BODY, headers=key).status_code == 429
        # Had the key been bound to the refused request, another request with it would be a 422.
        other = {"input": {**BODY["input"], "prompt": "the drums"}}
        again = c.post(SUBMIT, json=other, headers=key)
        assert again.status_code == 429, again.text
        assert len(_request_ids(c)) == 3


@pytest.mark.parametrize(
    "previous, counted, elapsed",
    [(0, 2, 0.5), (0, 3, 0.5), (4, 0, 0.25), (4, 0, 0.5), (2, 1, 0.5), (10, 0, 0.8), (3, 1, 0.01)],
)
def test_redis_counts_and_decides_as_the_model_does(admitting, previous, counted, elapsed):
    ctx, limit = admitting.ctx, 3
    admission = replace(ctx.limits.admission("submit", f"model-{uuid.uuid4().hex}", limit, 0), elapsed=elapsed)
    before, now, _ = admission.keys
    admitting.call(ctx.redis.set(before, previous))
    admitting.call(ctx.redis.set(now, counted))
    try:
        admitting.call(ctx.limits.admit(admission))
        refused = False
    except RateLimited as exc:
        refused = True
        assert exc.retry_after_s == retry_after_s(previous, counted + 1, elapsed, limit)
    assert refused == (estimated_count(previous, counted + 1, elapsed) > limit)
    assert int(admitting.call(ctx.redis.get(now))) == counted + 1  # refused or not, it counts
    assert 0 < admitting.call(ctx.redis.ttl(now)) <= 2 * WINDOW_S


def test_a_submit_checks_its_limits_in_its_own_round_trip(admitting):
    with admitting.client(admitting.new_key()) as c:
        file_id = c.post("/v1/files", files={"file": ("a.wav", _wav())}).json()["file_id"]
        assert c.post(SUBMIT, json=BODY).status_code == 202  # the scripts are loaded
        with redis_round_trips(admitting) as by_url:
            assert c.post(SUBMIT, json=BODY).status_code == 202
        with redis_round_trips(admitting) as by_file:
            assert c.post(SUBMIT, json={"input": {"file_id": file_id, "prompt": "the speaker"}}).status_code == 202
    # The API key, the upload, one script that admits, records and queues the job; a URL is only
    # resolved once the request is admitted (no name lookups for a client over its limit).
    assert by_url == ["HGET", "EVALSHA", "EVALSHA"]
    assert by_file == ["HGET", "HGETALL", "EVALSHA"]


@pytest.fixture(scope="module")
def full(live_service, dsp_backend):
    """A storage quota that one small upload fills, and 2 submits per minute."""
    return live_service(
        {"dsp": dsp_backend}, worker=False, webhooks=False, submits_per_minute=2, storage_quota_bytes=len(_wav())
    )


def test_an_over_quota_submit_is_refused_before_its_input_and_creates_no_job(full):
    quota = len(_wav())
    with full.client(full.new_key()) as c:
        upload = c.post("/v1/files", files={"file": ("a.wav", _wav())})
        assert upload.status_code == 201 and upload.json()["file_size"] == quota  # the quota is full
        refused = [c.post(SUBMIT, json={"input": {"file_id": upload.json()["file_id"], "prompt": "the speaker"}})]
        refused.append(c.post(SUBMIT, json=MISSING_FILE))  # the quota comes before the input checks
        for r in refused:
            assert r.status_code == 403, r.text
            assert r.json()["error"] == {
                "type": "storage_quota_exceeded",
                "message": f"This API key's files fill its {quota} byte storage quota; delete files you no longer "
                "need (DELETE /v1/files/{id}, DELETE /v1/queue/requests/{id}) or wait for them to expire.",
            }
        # Both counted towards the rate, which is checked first.
        limited = c.post(SUBMIT, json=BODY)
        assert limited.status_code == 429 and limited.json()["error"]["type"] == "rate_limited"
        assert _request_ids(c) == []
        again = c.post("/v1/files", files={"file": ("b.wav", _wav())})
        assert again.status_code == 403 and again.json()["error"] == refused[0].json()["error"]
