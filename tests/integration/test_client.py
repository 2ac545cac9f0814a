"""The Python client and `audiolasso separate` against the real service over real HTTP:
one-call separation, a status stream that survives dropped connections (a TCP proxy
that cuts every stream after its first event), Retry-After honoured, typed errors,
and the CLI's files, progress lines and exit codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from serve_app.client import APIError, AsyncClient, Client
from support import REPO
from support.audio import speech_plus_noise, wav_bytes

AUDIOLASSO = str(REPO / ".venv" / "bin" / "audiolasso")


@pytest.fixture(scope="module")
def service(live_service):
    from audiolasso_testplugin import LowpassBackend

    slow = LowpassBackend(options={"seconds_per_chunk": 0.15})
    slow.load("cpu")
    return live_service({"lowpass": slow})


@pytest.fixture(scope="module")
def key(service) -> str:
    return service.new_key()


@pytest.fixture(scope="module")
def mix_file(tmp_path_factory):
    mix, _, sr = speech_plus_noise(snr_db=0.0, seed=9)
    path = tmp_path_factory.mktemp("audio") / "interview.wav"
    path.write_bytes(wav_bytes(mix, sr, "FLOAT"))
    return path


def test_separate_in_one_call_writes_both_tracks(service, key, mix_file, tmp_path):
    updates = []
    with Client(service.url, key) as client:
        result = client.separate(mix_file, "keep the bass", out_dir=tmp_path, on_update=updates.append)
        with pytest.raises(APIError) as finished:  # nothing left to cancel: the API's 409, typed
            client.job(result.request_id).cancel()
        assert (finished.value.status_code, finished.value.type) == (409, "conflict")
    assert result.status.value == "COMPLETED" and result.interpretation.phrase == "bass"
    target, sr = sf.read(tmp_path / "interview.target.wav", dtype="float32")
    residual, _ = sf.read(tmp_path / "interview.residual.wav", dtype="float32")
    mixture, _ = sf.read(mix_file, dtype="float32")
    assert np.allclose(target + residual, mixture, atol=1e-4)
    assert updates[-1].status.value == "COMPLETED"
    assert any(u.progress is not None for u in updates)  # chunk progress arrived on the way


class DroppingProxy:
    """A TCP proxy in front of the service that cuts every status stream right after the
    first event it carries; other requests pass untouched."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.dropped = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(downstream,), daemon=True).start()

    def _serve(self, downstream: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        streaming = threading.Event()  # a status stream was requested on this (keep-alive) connection
        threading.Thread(target=self._requests, args=(downstream, upstream, streaming), daemon=True).start()
        seen = b""
        try:
            while chunk := upstream.recv(65536):
                downstream.sendall(chunk)
                seen = seen + chunk if streaming.is_set() else b""
                if b"\n\n" in seen.partition(b"id: ")[2]:  # an event with its id, complete
                    self.dropped += 1
                    break  # one event delivered: cut the connection
        except OSError:
            pass
        for s in (downstream, upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes the other thread's recv, and sends the FIN
            s.close()

    @staticmethod
    def _requests(src: socket.socket, dst: socket.socket, streaming: threading.Event) -> None:
        try:
            while chunk := src.recv(65536):
                if b"/status/stream" in chunk:
                    streaming.set()
                dst.sendall(chunk)
        except OSError:
            pass

    def close(self) -> None:
        self.server.close()


def test_the_status_stream_resumes_after_dropped_connections_without_losing_an_event(service, key, mix_file):
    proxy = DroppingProxy(int(service.url.rsplit(":", 1)[1]))
    try:
        with Client(f"http://127.0.0.1:{proxy.port}", key) as client:
            job = client.submit("keep the bass", file_id=client.upload(mix_file).file_id)
            seen = [(s.status.value, s.progress.chunks_done if s.progress else None) for s in job.stream()]
    finally:
        proxy.close()
    logged = service.call(service.ctx.jobs.events(job.request_id))
    assert proxy.dropped >= 2  # the stream was cut, and cut again after resuming
    assert seen[-1][0] == "COMPLETED"
    # Every event of the job's log after the first one the stream sent, once each, in order.
    expected = [(e["status"], (e.get("progress") or {}).get("chunks_done")) for _, e in logged]
    assert seen == expected[len(expected) - len(seen) :]
    assert len(seen) >= 4


def test_retry_after_is_honoured_and_errors_are_typed(live_service, lowpass_backend, mix_file):
    # No worker, and one waiting job per key: a second submit gets 429 with Retry-After
    # until the first is cancelled (from another thread, two seconds in).
    queue = live_service({"lowpass": lowpass_backend}, worker=False, max_queued_per_key=1)
    key = queue.new_key()

    def cancel(request_id: str) -> None:
        with Client(queue.url, key) as other:
            other.job(request_id).cancel()

    async def scenario() -> float:
        async with AsyncClient(queue.url, key, max_retry_wait_s=1.5) as client:
            file_id = (await client.upload(mix_file)).file_id
            first = await client.submit("keep the bass", file_id=file_id)
            threading.Timer(2.0, cancel, args=(first.request_id,)).start()
            started = time.monotonic()
            second = await client.submit("keep the bass", file_id=file_id)
            waited = time.monotonic() - started
            assert (await second.status()).status.value == "IN_QUEUE"
            with pytest.raises(APIError) as refused:
                await client.submit("isolate the violin", file_id=file_id)
            assert (refused.value.status_code, refused.value.type) == (422, "unsupported_prompt")
            assert refused.value.field == "input.prompt"
        async with AsyncClient(queue.url, key, max_retries=0) as impatient:
            with pytest.raises(APIError) as limited:
                await impatient.submit("keep the bass", file_id=file_id)
            assert (limited.value.status_code, limited.value.type) == (429, "rate_limited")
        return waited

    assert asyncio.run(scenario()) >= 2.0  # slept on Retry-After (capped at 1.5 s) until it got in


def _cli(*args: str, key: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "AUDIOLASSO_API_KEY": key, "AUDIOLASSO_URL": url}
    return subprocess.run([AUDIOLASSO, *args], env=env, capture_output=True, text=True, timeout=120)


def test_the_cli_separates_a_file_in_one_command(service, key, mix_file, tmp_path):
    done = _cli("separate", str(mix_file), "keep the bass", "--out", str(tmp_path), key=key, url=service.url)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["interview.residual.wav", "interview.target.wav"]
    assert "separating 'bass' with lowpass" in done.stderr
    assert "separating, chunk" in done.stderr  # progress as plain lines when not on a terminal
    assert f"target: {tmp_path / 'interview.target.wav'}" in done.stdout

    shown = _cli("separate", str(mix_file), "keep the bass", "--out", str(tmp_path), "--json", key=key, url=service.url)
    request_id = json.loads(shown.stdout)["request_id"]
    status = _cli("status", request_id, key=key, url=service.url)
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "COMPLETED"


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["separate", "MIX", "isolate the violin"], 2, "unsupported_prompt"),
        (["separate", "MIX", "keep the bass", "--span", "3"], 2, "START-END"),
        (["separate", "/no/such/file.wav", "keep the bass"], 2, "no such file"),
        (["status", "req_01m8vyd46ge79bv8rn0bcd0mks"], 2, "not_found"),
    ],
)
def test_cli_exit_codes_say_what_went_wrong(service, key, mix_file, args, code, words):
    done = _cli(*[str(mix_file) if a == "MIX" else a for a in args], key=key, url=service.url)
    assert done.returncode == code and words in done.stderr, (done.returncode, done.stderr)


def test_cli_reports_an_unreachable_service(key, mix_file):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    done = _cli("status", "req_x", "--retries", "2", key=key, url=closed)
    assert done.returncode == 4 and "service_unreachable" in done.stderr
    assert time.monotonic() - started >= 1.5  # it waited 0.5 s and 1 s before its two retries
    refused = _cli("status", "req_x", "--retries", "-1", key=key, url=closed)
    assert refused.returncode == 2 and "0 or more" in refused.stderr
