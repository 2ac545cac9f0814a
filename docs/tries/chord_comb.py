# A try of 2026-12-07 (docs/learned.md, "Pitch and per-recording timbre after the network"): not shipped.
"""Experiment: a multi-pitch comb on the estimate: CHORDS concepts always, and one-line ones where the gate fails.
Usage: [GATEFAIL=1] [K=4 REL=0.2] python chord_comb.py on|off -- eval args..."""
import os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audiolasso_learned import melody, inference
from serve_app.audio import stft as transform
from serve_app import cli
import chord_comb_ceiling as mc

K = int(os.environ.get("K", 4)); REL = float(os.environ.get("REL", 0.2))
CHORDS = {"piano", "guitar"}  # as measured: organ_synth, in no tuning case, was left out
orig_refine = melody.refine

def mcomb(mixture, estimate):
    es = transform.stft(estimate, mc.N, mc.H, pad_mode="constant")
    f0, ok = mc.multi_f0(np.abs(es), K, REL)
    mk = mc.mask_for(f0, ok, es.shape[0])
    return transform.istft(es * mk, mc.N, mc.H, len(mixture)).astype(estimate.dtype)

def refine(mixture, estimate, sr):
    out = orig_refine(mixture, estimate, sr)
    return mcomb(mixture, estimate) if out is estimate and os.environ.get("GATEFAIL") else out

orig_forward = inference.Inference._forward
def _forward(self, items, queries):
    outs = orig_forward(self, items, queries)
    return [mcomb(i.audio, o) if i.plan.concept in CHORDS else o for i, o in zip(items, outs)]

if sys.argv[1] == "on":
    melody.refine = refine
    inference.melody.refine = refine
    inference.Inference._forward = _forward
cli.main(sys.argv[3:])
