"""The repository's own evaluation corpora (corpora/): the held-out corpus that every
quality claim quotes beside dev, and the tune corpus that routes are chosen on. They
are in the dev corpus's exact format, and draw only on their own split's sources."""

from __future__ import annotations

import pytest

from audiolasso_corpora import sources
from audiolasso_corpora.verify import verify
from support import REPO

CORPORA = REPO / "corpora"


@pytest.mark.parametrize("split, least", [("heldout", 44), ("tune", 24)])
def test_corpus_is_in_the_dev_format_and_uses_only_its_split(split, least):
    counts = verify(split, CORPORA / split)
    assert set(counts) == {"music_instrument", "vocal_over_music", "speech_in_noise", "sound_event"}
    assert sum(counts.values()) >= least and min(counts.values()) >= least // 4


@pytest.mark.parametrize("corpus, category", [("tune-instruments", "music_instrument"), ("tune-events", "sound_event")])
def test_more_cases_to_choose_on_are_tune_cases_named_apart(corpus, category):
    """Two more draws of tune's instrument and event plans (seeds 27183 and 27184): routes and
    thresholds rest on few cases per concept, and pooling corpora needs ids that do not collide."""
    assert verify("tune", CORPORA / corpus) == {category: 16}
    more = {p.name for p in (CORPORA / corpus).iterdir()}
    assert not more & {p.name for p in (CORPORA / "tune").iterdir()}
    assert {name.split("_")[0] for name in more} == {"tu27183", "tu27184"}


def test_splits_are_disjoint_and_apart_from_dev():
    sources.check()
    ids = {split: {s.id for s in sources.sources(split)} for split in sources.SPLITS}
    assert (
        not (ids["train"] & ids["tune"]) and not (ids["train"] & ids["heldout"]) and not (ids["tune"] & ids["heldout"])
    )


def test_the_drum_machine_plays_each_voice_where_its_note_falls():
    """The train split's synthetic drums: any GM drum pitch sounds at its note, silent before it."""
    import numpy as np

    from audiolasso_corpora import synth

    rate, rng = 22050, np.random.default_rng(0)
    params = synth.patch("drum_machine", "drums", rng)
    for pitch in (36, 38, 39, 42, 45, 46, 49, 99):  # kick, snare, clap, hats, tom, cymbal, unmapped
        x = synth.render("drum_machine", "drums", [(0.5, 0.1, pitch, 100)], rng, 2.0, rate, params=params)
        assert x.shape == (2 * rate,) and np.isfinite(x).all(), pitch
        assert not x[: rate // 2].any(), pitch
        assert np.abs(x[rate // 2 : rate // 2 + rate // 50]).max() > 0.05, pitch
    assert sources.get("synth_drum_machine").split == "train"
