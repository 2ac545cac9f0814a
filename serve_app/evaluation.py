"""Separation quality on a corpus: ``audiolasso eval CORPUS_DIR``.

A corpus is a folder of cases, each ``CASE_ID/{mixture,target}.flac`` and a
``case.json`` with ``prompt``, ``spans`` and ``category`` (the format of the
team's dev corpus). Every case runs through the service's own code, either
in-process (``separate_audio`` with a ``LocalSeparator``) or over HTTP
against a running service (upload, submit with spans, poll the status URL,
download), so the whole path is measured. The estimates are written to
``OUT/CASE_ID/{target,residual}.wav`` and scored with SI-SDR improvement,
defined exactly as the corpus's ``score.py`` defines it.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
import soundfile as sf

from serve_app.audio.metrics import si_sdr
from serve_app.backend import Backend, SpanHint
from serve_app.contract.views import interpretation_view
from serve_app.errors import ServiceError
from serve_app.jobs.planning import Planner
from serve_app.jobs.separation import clip_spans, separate_audio
from serve_app.jobs.separator_client import LocalSeparator
from serve_app.registry import get_backend

FLOOR_DB = -30.0  # a failed or silent estimate scores this
CEILING_DB = 100.0  # an estimate identical to the reference would otherwise be +inf
POLL_S = 0.05
JOB_TIMEOUT_S = 600.0
MAX_RETRIES = 30  # of one request refused with Retry-After
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass
class Case:
    id: str
    category: str
    prompt: str
    spans: list[dict[str, Any]]
    mixture_path: Path
    mixture: np.ndarray  # (channels, frames)
    target: np.ndarray  # mono reference
    sample_rate: int

    @property
    def duration(self) -> float:
        return self.mixture.shape[1] / self.sample_rate


@dataclass
class Outcome:
    target: np.ndarray | None  # (channels, frames) at the case's rate, or None when the run failed
    seconds: float  # wall time of the whole run
    interpretation: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


class Runner(Protocol):
    async def run(self, case: Case) -> Outcome: ...


def load_corpus(corpus: Path, categories: Collection[str] | None = None) -> list[Case]:
    """Every case of ``corpus`` (of ``categories`` only, where given: the others' audio is not read)."""
    metas = sorted(corpus.glob("*/case.json"))
    if not metas:
        raise ValueError(f"no cases (CASE_ID/case.json) in {corpus}")
    cases = []
    for meta_path in metas:
        meta = json.loads(meta_path.read_text())
        category = meta.get("category", "uncategorised")
        if categories is not None and category not in categories:
            continue
        folder = meta_path.parent
        mixture, sr = sf.read(folder / "mixture.flac", dtype="float32", always_2d=True)
        target, _ = sf.read(folder / "target.flac", dtype="float64", always_2d=True)
        cases.append(
            Case(
                id=meta.get("id", folder.name),
                category=category,
                prompt=meta["prompt"],
                spans=meta.get("spans", []),
                mixture_path=folder / "mixture.flac",
                mixture=np.ascontiguousarray(mixture.T),
                target=target.mean(1),
                sample_rate=sr,
            )
        )
    return cases


class LocalRunner:
    """A backend in this process, planned and driven by the service's own code."""

    def __init__(self, backend: Backend):
        self.planner = Planner({"local": backend})
        self.separator = LocalSeparator(backend)

    @classmethod
    def load(cls, backend: str, variant: str = "default", device: str = "cpu") -> LocalRunner:
        instance = get_backend(backend)(variant)
        instance.load(device)
        return cls(instance)

    async def run(self, case: Case) -> Outcome:
        async def never_stop(done: int, total: int) -> bool:
            return False

        start = time.perf_counter()
        try:
            job_plan = await self.planner.plan({"prompt": case.prompt, "spans": case.spans}, "local")
        except ServiceError as exc:
            return Outcome(None, time.perf_counter() - start, error=exc.message)
        spans, warnings = clip_spans([SpanHint.model_validate(s) for s in case.spans], case.duration)
        [member] = job_plan.members
        target = await separate_audio(
            case.mixture,
            case.sample_rate,
            [(self.separator, member.plan)],
            spans,
            never_stop,
            chunks_in_flight=2,
            inverted=job_plan.reading.inverted,
        )
        view = interpretation_view(job_plan).model_dump()
        return Outcome(target, time.perf_counter() - start, view, [*job_plan.warnings, *warnings])


class HttpRunner:
    """A running service, used the way a client uses it."""

    def __init__(self, url: str, api_key: str, backend: str | None = None):
        self.url = url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.backend = backend

    async def run(self, case: Case) -> Outcome:
        start = time.perf_counter()
        async with httpx.AsyncClient(base_url=self.url, headers=self.headers, timeout=60) as client:
            upload = await _request(
                client,
                "POST",
                "/v1/files",
                files={"file": (case.mixture_path.name, case.mixture_path.read_bytes(), "audio/flac")},
            )
            job_input: dict[str, Any] = {
                "file_id": upload.json()["file_id"],
                "prompt": case.prompt,
                "spans": case.spans,
                "output_format": "wav",
            }
            if self.backend:
                job_input["backend"] = self.backend
            submitted = await _request(client, "POST", "/v1/queue/audio/separate", json={"input": job_input})
            status = await self._wait(client, submitted.json()["status_url"])
            if status["status"] != "COMPLETED":
                error = status.get("error", {}).get("message", status["status"])
                return Outcome(None, time.perf_counter() - start, error=error)
            result = (await _request(client, "GET", submitted.json()["result_url"])).json()
            target = await self._download(client, result["target"]["url"])
        return Outcome(target, time.perf_counter() - start, result.get("interpretation"), result.get("warnings", []))

    @staticmethod
    async def _wait(client: httpx.AsyncClient, status_url: str) -> dict[str, Any]:
        deadline = time.monotonic() + JOB_TIMEOUT_S
        while time.monotonic() < deadline:
            answer = await _request(client, "GET", status_url)
            status = answer.json()
            if status["status"] in TERMINAL:
                return status
            await asyncio.sleep(POLL_S)
        raise TimeoutError(f"the job did not finish within {JOB_TIMEOUT_S:g} s")

    @staticmethod
    async def _download(client: httpx.AsyncClient, url: str) -> np.ndarray:
        answer = await _request(client, "GET", url)
        audio, _ = sf.read(io.BytesIO(answer.content), dtype="float32", always_2d=True)
        return np.ascontiguousarray(audio.T)


async def _request(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One API call, waiting out rate limits and a full queue (429/503 + Retry-After) like a polite client."""
    for _ in range(MAX_RETRIES):
        response = await client.request(method, url, **kwargs)
        if response.status_code not in (429, 503) or "retry-after" not in response.headers:
            break
        await asyncio.sleep(min(float(response.headers["retry-after"]), 60.0))
    if response.is_error:
        raise RuntimeError(f"{method} {response.request.url}: {response.status_code} {response.text}")
    return response


def bounded_si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """SI-SDR in dB held within [FLOOR_DB, CEILING_DB], as score.py reports it."""
    value = si_sdr(estimate, reference)
    return FLOOR_DB if math.isnan(value) else min(max(value, FLOOR_DB), CEILING_DB)


def score_case(case: Case, outcome: Outcome) -> dict[str, Any]:
    """Baseline (the mixture as estimate), estimate and improvement, for the target and the residual."""
    mixture = case.mixture.mean(0).astype(np.float64)
    residual_ref = mixture - case.target
    row: dict[str, Any] = {
        "id": case.id,
        "category": case.category,
        "prompt": case.prompt,
        "base": bounded_si_sdr(case.target, mixture),
        "residual_base": bounded_si_sdr(residual_ref, mixture),
        "seconds": round(outcome.seconds, 3),
        "rtf": round(outcome.seconds / case.duration, 4),
        "interpretation": outcome.interpretation,
        "warnings": outcome.warnings,
        "error": outcome.error,
    }
    if outcome.target is None:
        row.update(est=FLOOR_DB, residual_est=None)
    else:
        estimate = _fit(outcome.target.mean(0).astype(np.float64), len(mixture))
        row.update(
            est=bounded_si_sdr(case.target, estimate), residual_est=bounded_si_sdr(residual_ref, mixture - estimate)
        )
    row["sdri"] = row["est"] - row["base"]
    row["residual_sdri"] = None if row["residual_est"] is None else row["residual_est"] - row["residual_base"]
    return row


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)))


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean SI-SDRi, baseline, estimate and RTF per category and overall."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["category"], []).append(row)
    if rows:  # a corpus with none of the categories asked for has no OVERALL either
        groups["OVERALL"] = rows
    return {
        name: {
            "n": len(group),
            "failures": sum(r["error"] is not None for r in group),
            "base": float(np.mean([r["base"] for r in group])),
            "est": float(np.mean([r["est"] for r in group])),
            "sdri": float(np.mean([r["sdri"] for r in group])),
            "rtf": float(np.mean([r["rtf"] for r in group])),
        }
        for name, group in groups.items()
    }


def write_estimates(out: Path, case: Case, target: np.ndarray) -> None:
    folder = out / case.id
    folder.mkdir(parents=True, exist_ok=True)
    for name, audio in (("target", target), ("residual", case.mixture - target)):
        sf.write(folder / f"{name}.wav", audio.T, case.sample_rate, subtype="FLOAT")


async def evaluate(
    corpus: Path,
    runner: Runner,
    out: Path | None,
    log=print,
    spans: bool = True,
    categories: Collection[str] | None = None,
) -> dict[str, Any]:
    """Run and score every case (of ``categories`` only, where given); ``spans=False`` drops the
    cases' span hints."""
    cases = load_corpus(corpus, categories)
    if not spans:
        cases = [replace(case, spans=[]) for case in cases]
    rows = []
    log(f"{'case':14s} {'category':18s} {'base':>7s} {'est':>7s} {'SI-SDRi':>7s} {'r.SDRi':>7s} {'rtf':>6s}  reading")
    for case in cases:
        try:
            outcome = await runner.run(case)
        except Exception as exc:  # one broken case must not hide the others' scores
            outcome = Outcome(None, 0.0, error=f"{type(exc).__name__}: {exc}")
        if out is not None and outcome.target is not None:
            write_estimates(out, case, _fit_channels(outcome.target, case.mixture.shape[1]))
        row = score_case(case, outcome)
        rows.append(row)
        log(_case_line(row))
    summary = summarise(rows)
    log(f"\n{'group':20s} {'n':>3s} {'fails':>5s} {'base':>7s} {'est':>7s} {'SI-SDRi':>7s} {'rtf':>6s}")
    for name, g in summary.items():
        scores = f"{g['base']:7.2f} {g['est']:7.2f} {g['sdri']:7.2f} {g['rtf']:6.3f}"
        log(f"{name:20s} {g['n']:3d} {g['failures']:5d} {scores}")
    report = {"corpus": str(corpus), "spans": spans, "cases": rows, "summary": summary}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)  # where no case ran, nothing made it yet
        (out / "results.json").write_text(json.dumps(report, indent=1))
    return report


def side_by_side(reports: list[dict[str, Any]]) -> str:
    """Mean SI-SDRi per category, one column per corpus (a dev corpus beside a held-out one);
    a category a corpus lacks is "-"."""
    names = [Path(r["corpus"]).name or r["corpus"] for r in reports]
    categories = sorted({c for r in reports for c in r["summary"] if c != "OVERALL"}) + ["OVERALL"]
    lines = [f"{'SI-SDRi':20s}" + "".join(f" {n:>16s}" for n in names)]
    for category in categories:
        cells = []
        for r in reports:
            g = r["summary"].get(category)
            cells.append(f"{g['sdri']:8.2f} (n={g['n']})" if g else "-")
        lines.append(f"{category:20s}" + "".join(f" {c:>16s}" for c in cells))
    return "\n".join(lines)


def _fit_channels(target: np.ndarray, n: int) -> np.ndarray:
    return target[:, :n] if target.shape[1] >= n else np.pad(target, ((0, 0), (0, n - target.shape[1])))


def _case_line(row: dict[str, Any]) -> str:
    reading = row["interpretation"] or {}
    concept = reading.get("concept", "?")
    side = "remove" if reading.get("inverted") else "keep"
    note = f"ERROR {row['error']}" if row["error"] else f"{side} {concept} ({reading.get('method', '?')})"
    r_sdri = "      -" if row["residual_sdri"] is None else f"{row['residual_sdri']:7.2f}"
    return (
        f"{row['id']:14s} {row['category']:18s} {row['base']:7.2f} {row['est']:7.2f} {row['sdri']:7.2f} "
        f"{r_sdri} {row['rtf']:6.3f}  {note}"
    )
