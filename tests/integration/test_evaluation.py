"""``audiolasso eval``: the same scores in-process and over HTTP, defined as the corpus's score.py defines them."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import numpy as np
import pytest
import soundfile as sf

from serve_app.cli import main
from serve_app.evaluation import HttpRunner, LocalRunner, _request, evaluate, load_corpus
from support.audio import drums_plus_tones, speech_plus_noise
from support.service import LiveService, make_settings

SR = 44100


def reference_si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """score.py's definition, written out independently."""
    ref, est = ref - ref.mean(), est - est.mean()
    scaled = (est @ ref) / (ref @ ref) * ref
    return 10 * np.log10((scaled @ scaled) / ((est - scaled) @ (est - scaled)))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    speech_mix, speech, sr = speech_plus_noise(snr_db=0.0, seed=1, sr=SR)
    drum_mix, drums, _ = drums_plus_tones(seed=4, seconds=3.0, sr=SR)
    cases = {
        "c_speech": ("speech_in_noise", "isolate the speaker", [], speech_mix[: 3 * SR], speech[: 3 * SR]),
        "c_drums": (
            "music_instrument",
            "isolate the drums",
            [{"start": 0.5, "end": 1.5, "include": True}],
            drum_mix,
            drums,
        ),
    }
    for case_id, (category, prompt, spans, mixture, target) in cases.items():
        folder = root / case_id
        folder.mkdir()
        sf.write(folder / "mixture.flac", mixture, SR, subtype="PCM_16")
        sf.write(folder / "target.flac", target, SR, subtype="PCM_16")
        meta = {"id": case_id, "category": category, "prompt": prompt, "spans": spans}
        (folder / "case.json").write_text(json.dumps(meta))
    return root


@pytest.fixture(scope="module")
def local_report(corpus, tmp_path_factory, dsp_backend):
    out = tmp_path_factory.mktemp("local")
    return out, _run(evaluate(corpus, LocalRunner(dsp_backend), out, log=lambda line: None))


def _run(coro):
    return asyncio.run(coro)


def test_in_process_scores_follow_the_corpus_definition(corpus, local_report):
    out, report = local_report
    rows = {row["id"]: row for row in report["cases"]}
    for case in load_corpus(corpus):
        estimate, sr = sf.read(out / case.id / "target.wav", dtype="float64")
        residual, _ = sf.read(out / case.id / "residual.wav", dtype="float64")
        mixture = case.mixture[0].astype(np.float64)
        assert sr == SR and len(estimate) == len(mixture)
        np.testing.assert_allclose(estimate + residual, mixture, atol=1e-6)
        row = rows[case.id]
        assert row["base"] == pytest.approx(reference_si_sdr(case.target, mixture), abs=1e-3)
        assert row["est"] == pytest.approx(reference_si_sdr(case.target, estimate), abs=1e-3)
        assert row["sdri"] > 1.0 and row["rtf"] > 0
        assert row["interpretation"]["concept"] in ("speech", "drums")
    summary = report["summary"]
    assert set(summary) == {"speech_in_noise", "music_instrument", "OVERALL"}
    assert summary["OVERALL"]["sdri"] == pytest.approx(np.mean([r["sdri"] for r in report["cases"]]))
    assert json.loads((out / "results.json").read_text())["summary"] == summary


def test_http_path_measures_the_same_separation(corpus, local_report, redis_url, tmp_path, dsp_backend):
    service = LiveService(make_settings(redis_url, tmp_path / "data"), {"dsp": dsp_backend}).start()
    try:
        report = _run(
            evaluate(corpus, HttpRunner(service.url, service.new_key()), tmp_path / "http", log=lambda s: None)
        )
    finally:
        service.stop()
    local = {row["id"]: row for row in local_report[1]["cases"]}
    for row in report["cases"]:
        assert row["error"] is None
        assert row["sdri"] == pytest.approx(local[row["id"]]["sdri"], abs=0.05)
        assert row["interpretation"]["method"] == local[row["id"]]["interpretation"]["method"]
    assert (tmp_path / "http" / "c_drums" / "residual.wav").exists()


def test_failures_score_the_floor_and_do_not_stop_the_run(corpus, tmp_path):
    class Broken:
        async def run(self, case):
            raise RuntimeError("backend exploded")

    report = _run(evaluate(corpus, Broken(), tmp_path, log=lambda s: None))
    assert all(r["est"] == -30.0 and "exploded" in r["error"] for r in report["cases"])
    assert report["summary"]["OVERALL"]["failures"] == 2


def test_cli_prints_per_case_and_per_category_lines(corpus, tmp_path, capsys):
    assert main(["eval", str(corpus), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "c_speech" in printed and "music_instrument" in printed and "OVERALL" in printed
    assert (tmp_path / "c_speech" / "target.wav").exists()


def test_several_corpora_are_reported_side_by_side(corpus, tmp_path, capsys):
    held = tmp_path / "held"
    shutil.copytree(corpus / "c_speech", held / "c_speech")
    out = tmp_path / "out"
    assert main(["eval", str(corpus), str(held), "--out", str(out)]) == 0
    table = capsys.readouterr().out.split("\nSI-SDRi ")[-1].splitlines()
    assert table[0].split() == [corpus.name, "held"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:] if line.strip()}
    assert rows["music_instrument"][-1] == "-" and rows["speech_in_noise"][-1] == "(n=1)"
    # The same case scores the same in both corpora.
    assert rows["speech_in_noise"][0] == rows["speech_in_noise"][2]
    assert (out / corpus.name / "c_drums" / "target.wav").exists() and (out / "held" / "c_speech").is_dir()


def test_without_spans_drops_every_span_hint(corpus, local_report, tmp_path):
    with_spans = next(r for r in local_report[1]["cases"] if r["id"] == "c_drums")
    assert "+span" in with_spans["interpretation"]["method"]
    assert main(["eval", str(corpus), "--out", str(tmp_path), "--without-spans"]) == 0
    report = json.loads((tmp_path / "results.json").read_text())
    drums = next(r for r in report["cases"] if r["id"] == "c_drums")
    assert report["spans"] is False and "+span" not in drums["interpretation"]["method"]


def test_http_runner_waits_out_retry_after_like_a_polite_client():
    """A real HTTP server that refuses twice with 429 + Retry-After, then answers."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(self.path)
            refuse = len(seen) <= 2
            self.send_response(429 if refuse else 201)
            if refuse:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def call(path):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.server_port}") as client:
            return await _request(client, "POST", path)

    try:
        assert _run(call("/v1/files")).status_code == 201
        assert seen == ["/v1/files"] * 3
        Handler.do_POST = lambda self: (
            self.send_response(400),
            self.send_header("Content-Length", "0"),
            self.end_headers(),
        )
        with pytest.raises(RuntimeError, match="400"):
            _run(call("/v1/files"))  # other errors are not retried
    finally:
        server.shutdown()


def test_a_category_runs_alone_and_a_corpus_without_it_shows_none(corpus, tmp_path, capsys):
    held = tmp_path / "held"
    shutil.copytree(corpus / "c_speech", held / "c_speech")
    out = tmp_path / "out"
    assert main(["eval", str(corpus), str(held), "--category", "music_instrument", "--out", str(out)]) == 0
    report = json.loads((out / corpus.name / "results.json").read_text())
    assert [r["id"] for r in report["cases"]] == ["c_drums"]
    rows = {
        line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.split("\nSI-SDRi ")[-1].splitlines()[1:]
    }
    assert rows["music_instrument"][1] == "(n=1)" and rows["music_instrument"][-1] == "-"
    assert rows["OVERALL"][-1] == "-" and "speech_in_noise" not in rows
