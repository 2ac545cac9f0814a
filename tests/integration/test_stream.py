"""The live status stream (SSE) over real HTTP: events replayed from the Redis
event log, resumable with Last-Event-ID, keep-alive comments, queue positions."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf

from support.service import LiveService, make_settings
from support.sse_client import SSEEvent, read_events

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def tone_wav(seconds: float, sr: int = 16000) -> bytes:
    t = np.arange(int(sr * seconds)) / sr
    buf = io.BytesIO()
    sf.write(buf, (0.5 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), sr, format="WAV", subtype="FLOAT")
    return buf.getvalue()


@pytest.fixture(scope="module")
def lowpass():
    from audiolasso_testplugin import LowpassBackend

    slow = LowpassBackend(options={"seconds_per_chunk": 0.25})  # a 10 s file takes about 1.5 s
    slow.load("cpu")
    return slow


@pytest.fixture(scope="module")
def service(live_service, lowpass):
    return live_service({"lowpass": lowpass}, sse_keepalive_s=0.2)


@pytest.fixture(scope="module")
def file_id(client) -> str:
    response = client.post("/v1/files", files={"file": ("tone.wav", tone_wav(10.0))})
    assert response.status_code == 201, response.text
    return response.json()["file_id"]


def submit(client, file_id: str) -> str:
    response = client.post(
        "/v1/queue/audio/separate",
        json={"input": {"file_id": file_id, "prompt": "keep the low end", "backend": "lowpass"}},
    )
    assert response.status_code == 202, response.text
    return response.json()["request_id"]


def events_of(response) -> list[SSEEvent]:
    """Every data event of a stream, read to its end."""
    return [e for e in read_events(response.iter_lines()) if e.data is not None]


def logged_ids(service: LiveService, request_id: str) -> list[str]:
    return [event_id for event_id, _ in service.call(service.ctx.jobs.events(request_id))]


def test_reconnect_with_last_event_id_misses_nothing_and_repeats_nothing(service, client, file_id):
    rid = submit(client, file_id)
    path = f"/v1/queue/requests/{rid}/status/stream"
    first: list[SSEEvent] = []
    with client.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in read_events(response.iter_lines()):
            if event.data is None:
                continue
            first.append(event)
            if (event.data.get("progress") or {}).get("chunks_done", 0) >= 1:
                break  # disconnect mid-job
    done_when_left = first[-1].data["progress"]["chunks_done"]
    assert first[-1].data["status"] == "IN_PROGRESS"

    # While disconnected, the job moves on.
    deadline = time.monotonic() + 20
    while (client.get(f"/v1/queue/requests/{rid}/status").json().get("progress") or {}).get(
        "chunks_done", 0
    ) <= done_when_left:
        assert time.monotonic() < deadline, "the job made no progress"
        time.sleep(0.05)

    with client.stream("GET", path, headers={"Last-Event-ID": first[-1].id}) as response:
        rest = events_of(response)  # ends by itself after the terminal event
    assert rest[-1].data["status"] == "COMPLETED"

    seen = first + rest
    log = logged_ids(service, rid)
    assert [e.id for e in seen] == log[log.index(first[0].id) :]  # no gap, no duplicate
    assert len(rest) >= 2  # events logged while disconnected were replayed
    progress = [e.data["progress"]["chunks_done"] for e in seen if e.data.get("progress")]
    assert progress == sorted(progress) and len(set(progress)) == len(progress)
    # The terminal event is the status object the status endpoint returns.
    assert rest[-1].data == client.get(f"/v1/queue/requests/{rid}/status").json()


def test_stream_of_a_finished_job_sends_the_terminal_event_and_closes(service, client, file_id):
    rid = submit(client, file_id)
    path = f"/v1/queue/requests/{rid}/status/stream"
    with client.stream("GET", path) as response:
        assert events_of(response)[-1].data["status"] == "COMPLETED"

    response = client.get(path)  # reads until the server closes the stream
    events = events_of(response)
    assert [e.data["status"] for e in events] == ["COMPLETED"]
    assert events[0].id == logged_ids(service, rid)[-1]
    assert events[0].data == client.get(f"/v1/queue/requests/{rid}/status").json()
    # Resuming after the terminal event: nothing is left to send.
    after = client.get(path, headers={"Last-Event-ID": events[0].id})
    assert after.status_code == 200 and events_of(after) == []


def test_queue_positions_keepalives_and_a_cancelled_end(redis_url, tmp_path, lowpass):
    """No worker: jobs wait. The stream reports each position change, keeps the
    connection alive while nothing changes, and ends with CANCELLED."""
    svc = LiveService(
        make_settings(redis_url, tmp_path, sse_keepalive_s=0.2), {"lowpass": lowpass}, worker=False
    ).start()
    try:
        with svc.client(svc.new_key()) as c:
            fid = c.post("/v1/files", files={"file": ("tone.wav", tone_wav(1.0))}).json()["file_id"]
            ids_ = [submit(c, fid) for _ in range(3)]
            watched = ids_[2]
            with c.stream("GET", f"/v1/queue/requests/{watched}/status/stream") as response:
                blocks = read_events(response.iter_lines())
                got = [next(blocks)]
                assert got[0].data["status"] == "IN_QUEUE" and got[0].data["queue_position"] == 2
                keepalive = next(blocks)
                assert keepalive.data is None and keepalive.comments == ["keep-alive"]

                assert c.put(f"/v1/queue/requests/{ids_[0]}/cancel").status_code == 200
                got.append(next(e for e in blocks if e.data is not None))
                assert got[-1].data["status"] == "IN_QUEUE" and got[-1].data["queue_position"] == 1
                assert svc.call(svc.ctx.jobs.claim(lease_s=30, max_attempts=3)).request_id == ids_[1]
                got.append(next(e for e in blocks if e.data is not None))
                assert got[-1].data["status"] == "IN_QUEUE" and got[-1].data["queue_position"] == 0

                assert c.put(f"/v1/queue/requests/{watched}/cancel").status_code == 200
                got.append(next(e for e in blocks if e.data is not None))
                assert got[-1].data["status"] == "CANCELLED" and "queue_position" not in got[-1].data
                assert list(blocks) == []  # the stream closed after the terminal event
            assert [e.id for e in got] == logged_ids(svc, watched)
    finally:
        svc.stop()


def test_stream_is_private_and_checks_last_event_id(service, client, file_id):
    rid = submit(client, file_id)
    with service.client(service.new_key("other")) as other:
        response = other.get(f"/v1/queue/requests/{rid}/status/stream")
        assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"
    response = client.get(f"/v1/queue/requests/{rid}/status/stream", headers={"Last-Event-ID": "nonsense"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "Last-Event-ID"
    assert client.put(f"/v1/queue/requests/{rid}/cancel").status_code in (200, 202)  # queued, or already running
    assert events_of(client.get(f"/v1/queue/requests/{rid}/status/stream"))[-1].data["status"] == "CANCELLED"


def test_openapi_describes_the_stream(service):
    with service.client() as c:
        spec = c.get("/openapi.json").json()
    stream = spec["paths"]["/v1/queue/requests/{request_id}/status/stream"]["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    assert any(p["name"] == "Last-Event-ID" and p["in"] == "header" for p in stream["parameters"])
