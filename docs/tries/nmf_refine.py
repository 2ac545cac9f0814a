# A try of 2026-12-07 (docs/learned.md, "Pitch and per-recording timbre after the network"): not shipped.
"""Experiment: refine the network's mask by an NMF adapted to this recording.
Usage: python nmf_refine.py VARIANT -- eval args...   (VARIANT: none | alone | geo | mean; env KT, KR, IT, P, ROUNDS, JOINT)"""
import os, sys, time
import numpy as np
from audiolasso_learned import inference, melody
from audiolasso_learned.backend import LearnedPlan
from audiolasso_learned.features import istft
from audiolasso_learned.inference import Inference
from serve_app import cli

VARIANT = sys.argv[1]
KT = int(os.environ.get("KT", 16)); KR = int(os.environ.get("KR", 32)); IT = int(os.environ.get("IT", 40))
EPS = 1e-9
rng = np.random.default_rng(0)

def nmf(V, k, iters):
    F, T = V.shape
    W = rng.random((F, k)).astype(np.float32) + 0.1
    H = rng.random((k, T)).astype(np.float32) + 0.1
    for _ in range(iters):
        R = V / (W @ H + EPS)
        H *= (W.T @ R) / (W.sum(0)[:, None] + EPS)
        R = V / (W @ H + EPS)
        W *= (R @ H.T) / (H.sum(1)[None, :] + EPS)
        s = W.sum(0) + EPS; W /= s; H *= s[:, None]
    return W, H

def refine(mask, mag):
    for _ in range(int(os.environ.get("ROUNDS", 1)) - 1):
        mask = refine1(mask, mag)
    return refine1(mask, mag)

def refine1(mask, mag):
    V = mag.astype(np.float32) + 1e-6
    Wt, Ht = nmf(mask * V, KT, IT)
    Wr, Hr = nmf((1 - mask) * V, KR, IT)
    W = np.concatenate([Wt, Wr], 1); H = np.concatenate([Ht, Hr], 0)
    for _ in range(IT):
        R = V / (W @ H + EPS)
        H *= (W.T @ R) / (W.sum(0)[:, None] + EPS)
        if os.environ.get("JOINT"):
            R = V / (W @ H + EPS)
            W *= (R @ H.T) / (H.sum(1)[None, :] + EPS)
            s = W.sum(0) + EPS; W /= s; H *= s[:, None]
    Et = Wt @ H[:KT] if not os.environ.get("JOINT") else W[:, :KT] @ H[:KT]; Er = W[:, KT:] @ H[KT:]
    P = float(os.environ.get("P", 1))
    m2 = Et**P / (Et**P + Er**P + EPS)
    if VARIANT == "alone": return m2
    if VARIANT == "geo": return np.sqrt(mask * m2)
    if VARIANT == "mean": return 0.5 * (mask + m2)
    raise ValueError(VARIANT)

def _forward(self, items, queries):
    masks, spec = self._masks(items, queries)
    gains = np.array([LearnedPlan.of(i.plan).gain for i in items], np.float32)
    m = np.minimum(masks * gains[:, None, None], 1.0)
    if VARIANT != "none":
        m = np.stack([refine(m[b], np.abs(spec[b])) for b in range(len(items))])
    named = istft(m * spec, items[0].audio.shape[-1])
    return [melody.refine(item.audio, est, 44100) if LearnedPlan.of(item.plan).melody else est for item, est in zip(items, named)]

Inference._forward = _forward
t = time.time()
rc = cli.main(sys.argv[3:])
print("elapsed", time.time() - t)
