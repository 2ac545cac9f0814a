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


def test_splits_are_disjoint_and_apart_from_dev():
    sources.check()
    ids = {split: {s.id for s in sources.sources(split)} for split in sources.SPLITS}
    assert (
        not (ids["train"] & ids["tune"]) and not (ids["train"] & ids["heldout"]) and not (ids["tune"] & ids["heldout"])
    )
