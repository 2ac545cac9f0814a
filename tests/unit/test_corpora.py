"""The repository's own evaluation corpora (corpora/): the held-out corpus that every
quality claim quotes beside dev, and the tune corpus that routes are chosen on. They
are in the dev corpus's exact format, and draw only on their own split's sources."""

from __future__ import annotations

import numpy as np
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


def _peak_hz(x: np.ndarray, start_s: float, rate: int) -> float:
    seg = x[int((start_s + 0.1) * rate) : int((start_s + 0.4) * rate)]
    return float(np.argmax(np.abs(np.fft.rfft(seg * np.hanning(len(seg))))) * rate / len(seg))


def test_sampler_plays_each_note_at_its_pitch_from_the_nearest_recorded_note(tmp_path):
    import soundfile as sf

    from audiolasso_corpora import music
    from audiolasso_corpora.audio import SR

    t = np.arange(2 * SR) / SR
    for name, hz in (("C4v8", 261.63), ("D#4v8", 311.13)):  # recorded notes, a minor third apart
        sf.write(tmp_path / f"{name}.wav", 0.5 * np.sin(2 * np.pi * hz * t), SR)
    recorded = music.recorded_folder(str(tmp_path))
    assert sorted(recorded) == [(60, 8), (63, 8)]
    x = music.render_sampler(recorded, [(0.0, 0.5, 61, 100), (1.0, 0.5, 63, 100)], 2.0)
    assert abs(_peak_hz(x, 0.0, SR) - 277.18) < 4  # C#4 from C4, one semitone up
    assert abs(_peak_hz(x, 1.0, SR) - 311.13) < 4  # D#4 as recorded
    assert np.abs(x[int(0.8 * SR) : int(1.0 * SR)]).max() < 0.01  # the damper ends the first note


def test_a_one_note_sampler_measures_its_pitch_and_moves_the_part_by_octaves_toward_it():
    from audiolasso_corpora import music
    from audiolasso_corpora.audio import SR

    t = np.arange(2 * SR) / SR
    note = sum(np.sin(2 * np.pi * 220 * k * t) / k * np.exp(-t * k) for k in range(1, 8)).astype(np.float32)
    assert abs(music.note_pitch(note) - 57) < 0.2  # A3, its partials decaying
    # a part around A5 (81) played from an A3 recording sounds two octaves down, its intervals kept
    x = music.render_sampler({(57, 1): note}, [(0.0, 0.5, 81, 100), (1.0, 0.5, 84, 100)], 2.0)
    assert abs(_peak_hz(x, 0.0, SR) - 220.0) < 4
    assert abs(_peak_hz(x, 1.0, SR) - 261.63) < 4
    with pytest.raises(ValueError):
        music.note_pitch(np.random.default_rng(0).standard_normal(SR).astype(np.float32))
