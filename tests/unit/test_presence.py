"""The calls' presence detector (``audiolasso_dsp.presence``): the trainer's weights run the same
in numpy, the shipped weights tell a call from the music it sounds over, and the self-marks leave
out a detector that does not know the sound."""

from __future__ import annotations

import numpy as np
import pytest

from audiolasso_dsp import presence, spans
from audiolasso_dsp.deepfilter import DeepFilter
from audiolasso_dsp.methods import RECIPES, Toolkit
from audiolasso_dsp.spectral import frame_energy
from audiolasso_dsp.training import make_presence
from support import concepts as ca
from support.audio import chord_pad, mix_at_snr


def test_trained_weights_run_in_numpy():
    """A toy task the network must learn: the numpy forward pass of its exported weights gets it
    right, so no layer is transposed or dropped on the way out of torch."""
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((3000, 20)).astype(np.float32)
    truth = frames[:, 3] - frames[:, 7] > 0
    shares = np.where(truth, 0.9, 0.0)  # a call's frame, or the background's
    weights = make_presence.train(frames, shares, seed=0)
    assert weights["w1"].shape == (20, make_presence.HIDDEN) and weights["w2"].shape == (make_presence.HIDDEN,)
    assert ((presence.forward(weights, frames) > 0) == truth).mean() > 0.95


@pytest.fixture(scope="module")
def kit() -> Toolkit:
    return Toolkit(deepfilter=DeepFilter())


@pytest.mark.parametrize("seed", [1, 3])
def test_shipped_weights_rank_calls_above_the_music(kit, seed):
    """Owl-like hoots now and then over chords: the calls' estimate holds the chords where they rise
    above the floor too; the detector scores the hoots' frames above the chords' alone."""
    rng = np.random.default_rng(seed)
    owl = ca.hoots(6.0, rng)
    mixture = owl + mix_at_snr(owl, chord_pad(6.0, ca.SR, rng), 0.0)
    logits = presence.score(RECIPES["foreground-without-voice"](mixture, kit), mixture, ca.SR, "calls")
    hop = int(ca.SR * presence.FRAME_S)
    assert logits.shape == (len(mixture) // hop,) and np.isfinite(logits).all()
    share = frame_energy(owl, hop) / (frame_energy(mixture, hop) + 1e-12)
    calls, rest = logits[share > 0.5], logits[share < 0.03]
    assert len(calls) and len(rest)
    assert (calls[:, None] > rest[None, :]).mean() > 0.75  # an AUC; 0.5 is chance


def test_a_detector_at_odds_with_the_share_is_left_out(kit):
    """Synthetic laughter is nothing the detector learnt (it ranks the chords' frames above the
    laughs'); it disagrees with the estimate's share, and the share alone marks the frames."""
    mixture, _, sr = ca.laughter_over_chords(1)
    estimate = RECIPES["foreground-without-voice"](mixture, kit)
    logits = presence.score(estimate, mixture, sr, "calls")
    assert spans.self_marks(estimate, mixture, sr, logits) == spans.self_marks(estimate, mixture, sr)
    assert spans.self_marks(estimate, mixture, sr, -logits) != spans.self_marks(estimate, mixture, sr)
