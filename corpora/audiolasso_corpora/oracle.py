"""Ideal ratio mask (IRM) oracle, scored like /work/shared/eval/score.py.

    python -m audiolasso_corpora.oracle CORPUS_DIR [CORPUS_DIR ...] [--write OUT_DIR] [--json FILE]

Mask (power IRM, "Wiener-like"): M = |T|^2 / (|T|^2 + |R|^2) on an STFT with a 2048-sample Hann window and a
512-sample hop (scipy ``stft``/``istft``), where T and R are the STFTs of the reference target and residual.
Estimate = istft(M * X) of the mixture X. Score = SI-SDR(target, estimate) - SI-SDR(target, mixture), with
score.py's SI-SDR (zero-mean, scale-invariant), its -30 dB floor and +100 dB cap.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

N_FFT, HOP = 2048, 512
FLOOR, CEIL = -30.0, 100.0


def si_sdr(ref: np.ndarray, est: np.ndarray, eps: float = 1e-12) -> float:
    """Scale-invariant SDR in dB (as in score.py)."""
    ref = ref - ref.mean()
    est = est - est.mean()
    rr = float(ref @ ref)
    if rr <= eps:
        return float("nan")
    a = float(est @ ref) / rr
    t = a * ref
    e = est - t
    num, den = float(t @ t), float(e @ e)
    if num <= eps:
        return -math.inf
    if den <= eps * 1e-6:
        return math.inf
    return 10.0 * math.log10(num / den)


def _clamp(v: float) -> float:
    if math.isnan(v):
        return FLOOR
    return min(max(v, FLOOR), CEIL)


def irm_estimate(mix: np.ndarray, target: np.ndarray, residual: np.ndarray, rate: int = 44100) -> np.ndarray:
    kw = dict(fs=rate, window="hann", nperseg=N_FFT, noverlap=N_FFT - HOP)
    _, _, X = signal.stft(mix, **kw)
    _, _, T = signal.stft(target, **kw)
    _, _, R = signal.stft(residual, **kw)
    pt, pr = np.abs(T) ** 2, np.abs(R) ** 2
    mask = pt / (pt + pr + 1e-20)
    _, y = signal.istft(mask * X, **kw)
    return np.pad(y, (0, max(0, len(mix) - len(y))))[: len(mix)]


def score_corpus(corpus: Path, write: Path | None = None) -> list[dict]:
    rows = []
    for case in sorted(p for p in Path(corpus).iterdir() if (p / "case.json").is_file()):
        meta = json.loads((case / "case.json").read_text())
        x = {k: sf.read(case / f"{k}.flac", dtype="float64")[0] for k in ("mixture", "target", "residual")}
        est = irm_estimate(x["mixture"], x["target"], x["residual"])
        base = si_sdr(x["target"], x["mixture"])
        val = _clamp(si_sdr(x["target"], est))
        rows.append(
            {
                "id": meta["id"],
                "category": meta["category"],
                "tags": meta.get("tags", []),
                "base": base,
                "oracle": val,
                "sdri": val - base,
            }
        )
        if write:
            d = Path(write) / meta["id"]
            d.mkdir(parents=True, exist_ok=True)
            sf.write(d / "target.wav", est.astype(np.float32), 44100, subtype="FLOAT")
    return rows


def summary(rows: list[dict]) -> dict[str, float]:
    cats: dict[str, list[float]] = {}
    for r in rows:
        cats.setdefault(r["category"], []).append(r["sdri"])
    out = {k: float(np.mean(v)) for k, v in sorted(cats.items())}
    out["overall"] = float(np.mean([r["sdri"] for r in rows]))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--write", help="also write OUT/<corpus name>/CASE_ID/target.wav (for score.py)")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    result = {}
    for c in a.corpora:
        rows = score_corpus(Path(c), Path(a.write) / Path(c).name if a.write else None)
        s = summary(rows)
        result[c] = {"cases": rows, "means": s}
        print(f"{c}  ({len(rows)} cases): IRM oracle SI-SDRi")
        for r in rows:
            print(
                f"  {r['id']:14s} {r['category']:18s} base {r['base']:7.2f}  oracle {r['oracle']:7.2f}  "
                f"SI-SDRi {r['sdri']:6.2f}"
            )
        for k, v in s.items():
            print(f"  mean {k:18s} {v:6.2f} dB")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
