"""Completion webhooks over real HTTP: a local receiver checks every signature
with the package's verify helper; retries, give-ups, 410, Retry-After and a
restart of the service are driven by what the receiver answers."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import socket
import subprocess
import time

import httpx
import numpy as np
import pytest
import redis.asyncio as aioredis
import soundfile as sf

from serve_app import ids
from serve_app.clock import now_iso
from serve_app.jobs.record import JobStatus
from serve_app.jobs.store import JobStore
from serve_app.store.keys import RedisKeys
from serve_app.webhooks.outbox import Outbox
from serve_app.webhooks.signing import new_secret, sign_headers
from serve_app.webhooks.verify import WebhookVerificationError, verify
from support import REPO
from support.service import LiveService, make_settings
from support.webhook_receiver import Receiver

FAST_RETRIES = dict(
    allow_private_urls=True,
    allow_http_urls=True,
    webhook_max_attempts=3,
    webhook_backoff_base_s=0.1,
    webhook_backoff_max_s=1.5,
    # Long enough that the in-process receiver always answers in time on a loaded CI machine
    # (an attempt that timed out would add an error to the attempts the tests count).
    webhook_timeout_s=3.0,
)
CLI = REPO / ".venv" / "bin" / "audiolasso"


def tone_wav(seconds: float = 1.0, sr: int = 16000) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.sin(2 * np.pi * 110 * np.arange(int(sr * seconds)) / sr).astype(np.float32), sr, format="WAV")
    return buf.getvalue()


@pytest.fixture(scope="module")
def lowpass(lowpass_backend):
    return lowpass_backend


@pytest.fixture(scope="module")
def service(live_service, lowpass):
    return live_service({"lowpass": lowpass}, **FAST_RETRIES)


@pytest.fixture(scope="module")
def receiver(client):
    r = Receiver()
    r.secret = client.get("/v1/webhooks/secret").json()["secret"]
    yield r
    r.close()


@pytest.fixture(scope="module")
def file_id(client) -> str:
    return client.post("/v1/files", files={"file": ("tone.wav", tone_wav())}).json()["file_id"]


def submit(client, file_id: str, webhook_url: str | None, prompt: str = "keep the low end") -> str:
    body = {"input": {"file_id": file_id, "prompt": prompt, "backend": "lowpass"}, "webhookUrl": webhook_url}
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 202, response.text
    return response.json()["request_id"]


def final_delivery(client, request_id: str, timeout: float = 30.0) -> dict:
    """The job's delivery once it is delivered or given up on."""
    deadline = time.monotonic() + timeout
    while True:
        deliveries = client.get(f"/v1/queue/requests/{request_id}/webhooks").json()["deliveries"]
        if deliveries and deliveries[0]["state"] != "pending":
            return deliveries[0]
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.05)


def is_due(service: LiveService, request_id: str) -> bool:
    """Whether any further attempt of the delivery can happen."""
    due = service.ctx.outbox.keys.webhooks_due
    return service.call(service.ctx.redis.zscore(due, request_id)) is not None


# --- what is delivered ---------------------------------------------------------------------


def test_completed_job_posts_a_signed_result(service, client, receiver, file_id):
    rid = submit(client, file_id, receiver.script("/completed"))
    [got] = receiver.wait_for("/completed", 1)
    assert got.error is None and got.payload is not None  # the signature verifies with the key's secret
    assert got.headers["webhook-id"].startswith("msg_") and got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    event = got.payload
    assert event["type"] == "request.completed"
    data = dict(event["data"])
    sent, fetched = data.pop("result"), client.get(f"/v1/queue/requests/{rid}/result").json()
    for role in ("target", "residual"):
        # Signed when sent: a receiver downloads it without an API key (its expiry may differ by the second).
        link = sent[role].pop("signed_url")
        assert link.split("?")[0] == fetched[role].pop("signed_url").split("?")[0]
        assert httpx.get(link).status_code == 200
    assert sent == fetched
    assert data == client.get(f"/v1/queue/requests/{rid}/status").json()
    assert event["timestamp"] == data["completed_at"]

    delivery = final_delivery(client, rid)
    assert delivery["state"] == "delivered" and delivery["webhook_id"] == got.headers["webhook-id"]
    [attempt] = delivery["attempts"]
    assert attempt["attempt"] == 1 and attempt["status_code"] == 200 and attempt["duration_ms"] >= 0
    assert not is_due(service, rid)


def test_failed_job_posts_its_error(client, receiver):
    # The receiver answers no GET: the audio cannot be fetched, and the job fails in the worker.
    body = {
        "input": {"audio_url": f"{receiver.base}/audio.wav", "prompt": "keep the low end", "backend": "lowpass"},
        "webhookUrl": receiver.script("/failed"),
    }
    response = client.post("/v1/queue/audio/separate", json=body)
    assert response.status_code == 202, response.text
    rid = response.json()["request_id"]
    [got] = receiver.wait_for("/failed", 1)
    assert got.payload["type"] == "request.failed" and "result" not in got.payload["data"]
    assert got.payload["data"]["error"]["type"] == "fetch_failed"
    assert got.payload["data"] == client.get(f"/v1/queue/requests/{rid}/status").json()


def test_cancelled_queued_job_posts_its_status(redis_url, tmp_path, lowpass):
    """No worker: the job waits in the queue and is cancelled there."""
    svc = LiveService(make_settings(redis_url, tmp_path, **FAST_RETRIES), {"lowpass": lowpass}, worker=False).start()
    receiver = Receiver()
    try:
        with svc.client(svc.new_key()) as c:
            receiver.secret = c.get("/v1/webhooks/secret").json()["secret"]
            fid = c.post("/v1/files", files={"file": ("tone.wav", tone_wav())}).json()["file_id"]
            rid = submit(c, fid, receiver.script("/cancelled"))
            assert c.put(f"/v1/queue/requests/{rid}/cancel").json()["status"] == "CANCELLED"
            [got] = receiver.wait_for("/cancelled", 1)
            assert got.payload["type"] == "request.cancelled"
            assert got.payload["data"] == c.get(f"/v1/queue/requests/{rid}/status").json()
    finally:
        receiver.close()
        svc.stop()


def test_job_without_webhook_has_no_delivery_and_others_see_nothing(service, client, file_id):
    rid = submit(client, file_id, None)
    assert client.get(f"/v1/queue/requests/{rid}/webhooks").json() == {"request_id": rid, "deliveries": []}
    with service.client(service.new_key("other")) as other:
        response = other.get(f"/v1/queue/requests/{rid}/webhooks")
        assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"


@pytest.fixture
async def store(settings):
    """The job store and the outbox on one real Redis connection (no service)."""
    redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    keys = RedisKeys(settings.redis_prefix)
    yield JobStore(redis, keys), Outbox(redis, keys), redis, keys
    await redis.aclose()


# --- retries ----------------------------------------------------------------------------------


def test_receiver_failing_at_first_gets_the_same_delivery_once_per_attempt(service, client, receiver, file_id):
    rid = submit(client, file_id, receiver.script("/flaky", 500, 503))
    delivery = final_delivery(client, rid)
    got = receiver.at("/flaky")
    assert delivery["state"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    assert len(got) == 3  # once per attempt, never more
    assert {r.headers["webhook-id"] for r in got} == {delivery["webhook_id"]}
    assert len({r.body for r in got}) == 1  # the same bytes every time
    assert all(r.error is None for r in got)
    assert not is_due(service, rid)


def test_receiver_down_for_the_first_attempts_gets_the_delivery_once_it_is_up(live_service, lowpass):
    patient = live_service({"lowpass": lowpass}, **{**FAST_RETRIES, "webhook_max_attempts": 10})
    with patient.client(patient.new_key()) as client:
        with socket.socket() as probe:  # a port with nothing listening: connections are refused
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        file_id = client.post("/v1/files", files={"file": ("tone.wav", tone_wav())}).json()["file_id"]
        rid = submit(client, file_id, f"http://127.0.0.1:{port}/late")
        deadline = time.monotonic() + 30
        while len(client.get(f"/v1/queue/requests/{rid}/webhooks").json()["deliveries"][0]["attempts"]) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        receiver = Receiver(port)  # the receiver comes back
        receiver.secret = client.get("/v1/webhooks/secret").json()["secret"]
        try:
            delivery = final_delivery(client, rid)
            time.sleep(0.5)  # room for a duplicate, were one coming
            (got,) = receiver.at("/late")
        finally:
            receiver.close()
    assert delivery["state"] == "delivered" and len(delivery["attempts"]) >= 3
    assert all(a.get("status_code") is None for a in delivery["attempts"][:-1])  # refused, not answered
    assert got.headers["webhook-id"] == delivery["webhook_id"] and got.error is None


def test_receiver_that_never_answers_is_given_up_on_and_the_job_is_unaffected(service, client, file_id):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the backlog; nothing ever answers
    try:
        rid = submit(client, file_id, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
        delivery = final_delivery(client, rid)
    finally:
        silent.close()
    assert delivery["state"] == "failed"
    assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3]  # webhook_max_attempts
    assert all(a["error"] == "no answer within 3 s" and "status_code" not in a for a in delivery["attempts"])
    assert not is_due(service, rid)
    assert client.get(f"/v1/queue/requests/{rid}/status").json()["status"] == "COMPLETED"
    assert client.get(f"/v1/queue/requests/{rid}/result").status_code == 200


def test_gone_stops_retries(service, client, receiver, file_id):
    rid = submit(client, file_id, receiver.script("/gone", 410))
    delivery = final_delivery(client, rid)
    assert delivery["state"] == "failed" and [a["status_code"] for a in delivery["attempts"]] == [410]
    assert len(receiver.at("/gone")) == 1 and not is_due(service, rid)


def test_retry_after_is_honoured(client, receiver, file_id):
    rid = submit(client, file_id, receiver.script("/busy", (503, {"Retry-After": "1"})))
    assert final_delivery(client, rid)["state"] == "delivered"
    first, second = receiver.at("/busy")
    # The backoff alone would wait at most webhook_backoff_base_s (0.1 s).
    assert second.at - first.at >= 1.0


def test_delivery_survives_a_restart_of_the_service(redis_url, tmp_path, lowpass):
    """The first attempt fails; the service stops while waiting to retry; a new
    one (same Redis) makes the second attempt, exactly once."""
    settings = make_settings(redis_url, tmp_path, **{**FAST_RETRIES, "webhook_backoff_base_s": 1.0})
    receiver = Receiver()
    first = LiveService(settings, {"lowpass": lowpass}).start()
    key = first.new_key()
    try:
        with first.client(key) as c:
            receiver.secret = c.get("/v1/webhooks/secret").json()["secret"]
            fid = c.post("/v1/files", files={"file": ("tone.wav", tone_wav())}).json()["file_id"]
            rid = submit(c, fid, receiver.script("/restart", 500))
            deadline = time.monotonic() + 30
            while not c.get(f"/v1/queue/requests/{rid}/webhooks").json()["deliveries"][0]["attempts"]:
                assert time.monotonic() < deadline
                time.sleep(0.02)
        first.stop()  # mid-backoff: the next attempt is at least 0.5 s after the first
        assert len(receiver.at("/restart")) == 1
        second = LiveService(settings, {"lowpass": lowpass}).start()
        try:
            with second.client(key) as c:
                delivery = final_delivery(c, rid)
            got = receiver.at("/restart")
            assert delivery["state"] == "delivered"
            assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]
            assert len(got) == 2 and got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
            assert not is_due(second, rid)
        finally:
            second.stop()
    finally:
        receiver.close()


async def submit_job(jobs: JobStore) -> str:
    """A job with a webhookUrl, recorded straight in the store."""
    rid = ids.new_id("req")
    await jobs.submit(
        request_id=rid,
        owner="key_a",
        backend="dsp",
        input={},
        plan={},
        created_at=now_iso(),
        webhook_url="https://example.com/hook",
        warnings=[],
    )
    return rid


async def test_lease_keeps_senders_apart_and_a_lost_attempt_is_retried(store):
    """Two senders never hold the same attempt; one that dies mid-attempt loses
    its lease, the attempt is recorded as lost and the next one is made."""
    jobs, outbox, _, _ = store
    rid = await submit_job(jobs)
    assert await outbox.get(rid) is None  # nothing to deliver before the job ends
    await jobs.finish(await jobs.claim(lease_s=30, max_attempts=3), JobStatus.COMPLETED, result={})
    dead = await outbox.claim(lease_s=0.2, max_attempts=3, now=now_iso())
    assert dead.request_id == rid and dead.attempt == 1
    assert await outbox.claim(lease_s=0.2, max_attempts=3, now=now_iso()) is None  # leased
    await asyncio.sleep(0.3)  # the lease runs out
    live = await outbox.claim(lease_s=30, max_attempts=3, now=now_iso())
    assert live.request_id == rid and live.attempt == 2
    assert not await outbox.complete(dead, {"attempt": 1, "at": now_iso(), "status_code": 200}, "delivered")
    assert await outbox.complete(live, {"attempt": 2, "at": now_iso(), "status_code": 200}, "delivered")
    delivery = await outbox.get(rid)
    assert delivery.state == "delivered"
    assert [a.get("error") for a in delivery.attempt_log] == ["the sender stopped during this attempt", None]
    assert await outbox.claim(lease_s=30, max_attempts=3, now=now_iso()) is None


async def test_every_terminal_path_enqueues_exactly_one_delivery(store):
    """Completion, cancellation in the queue and a job whose worker kept dying
    each enqueue the webhook in the same transition; a late finish enqueues nothing."""
    jobs, outbox, redis, keys = store
    cancelled = await submit_job(jobs)
    assert await jobs.cancel(cancelled) is JobStatus.CANCELLED
    completed = await submit_job(jobs)
    claim = await jobs.claim(lease_s=30, max_attempts=3)
    assert await jobs.finish(claim, JobStatus.COMPLETED, result={})
    lost = await submit_job(jobs)
    await jobs.claim(lease_s=0.05, max_attempts=1)
    await asyncio.sleep(0.1)  # the worker "dies": its lease runs out
    exhausted = await jobs.claim(lease_s=30, max_attempts=1)
    assert exhausted.exhausted and exhausted.request_id == lost
    error = {"type": "worker_lost", "message": "m", "retryable": True}
    assert await jobs.finish(exhausted, JobStatus.FAILED, error=error)
    first = {rid: (await outbox.get(rid)).webhook_id for rid in (cancelled, completed, lost)}
    assert all(w.startswith("msg_") for w in first.values()) and len(set(first.values())) == 3
    assert not await jobs.finish(claim, JobStatus.FAILED, error=error)  # already finished
    assert (await outbox.get(completed)).webhook_id == first[completed]
    assert sorted(await redis.zrange(keys.webhooks_due, 0, -1)) == sorted(first)


# --- secrets and signatures -------------------------------------------------------------------


def test_secret_is_read_and_rotated_through_api_and_cli(service, client, receiver, file_id):
    secret = client.get("/v1/webhooks/secret").json()
    assert secret["secret"].startswith("whsec_") and len(base64.b64decode(secret["secret"][6:])) == 32
    assert client.get("/v1/webhooks/secret").json() == secret  # stable until rotated
    env = {
        **os.environ,
        "AUDIOLASSO_REDIS_URL": service.settings.redis_url,
        "AUDIOLASSO_REDIS_PREFIX": service.settings.redis_prefix,
    }
    cli = [str(CLI), "keys", "webhook-secret", secret["key_id"]]
    assert subprocess.run(cli, env=env, capture_output=True, text=True, check=True).stdout.strip() == secret["secret"]

    rotated = client.post("/v1/webhooks/secret").json()
    assert rotated["key_id"] == secret["key_id"] and rotated["secret"] != secret["secret"]
    by_cli = subprocess.run([*cli, "--rotate"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert by_cli not in (secret["secret"], rotated["secret"])
    assert client.get("/v1/webhooks/secret").json()["secret"] == by_cli
    missing = subprocess.run([*cli[:-1], "key_nope"], env=env, capture_output=True, text=True)
    assert missing.returncode == 1 and "no key" in missing.stderr

    # Deliveries from now on are signed with the new secret only.
    receiver.secret = by_cli
    submit(client, file_id, receiver.script("/rotated"))
    [got] = receiver.wait_for("/rotated", 1)
    assert got.error is None
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify(secret["secret"], got.headers, got.body)


def test_verify_accepts_only_authentic_fresh_bodies():
    secret, body = new_secret(), b'{"type":"request.completed"}'
    headers = sign_headers(secret, "msg_1", int(time.time()), body)
    assert verify(secret, {k.upper(): v for k, v in headers.items()}, body) == {"type": "request.completed"}
    # A known vector from the Standard Webhooks specification's reference libraries.
    spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    spec_body = b'{"test": 2432232314}'
    assert (
        sign_headers(spec_secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, spec_body)["webhook-signature"]
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    cases = {
        "no signature matches": (secret, headers, body + b" "),
        "no signature matches the body": (new_secret(), headers, body),
        "more than 300 s": (secret, sign_headers(secret, "msg_1", int(time.time()) - 301, body), body),
        "missing header": (secret, {k: v for k, v in headers.items() if k != "webhook-id"}, body),
    }
    for words, (key, hdrs, raw) in cases.items():
        with pytest.raises(WebhookVerificationError, match=words):
            verify(key, hdrs, raw)


def test_openapi_describes_the_webhook_routes_and_payload(service):
    with service.client() as c:
        spec = c.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/v1/webhooks/secret"])
    assert "get" in paths["/v1/queue/requests/{request_id}/webhooks"]
    schemas = spec["components"]["schemas"]
    assert {"WebhookSecret", "WebhookDeliveries", "WebhookAttempt", "WebhookPayload"} <= set(schemas)
    hook = spec["webhooks"]["request-finished"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookPayload")
    assert {p["name"] for p in hook["parameters"]} >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
