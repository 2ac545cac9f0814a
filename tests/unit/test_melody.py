"""One melodic line's partials (``audiolasso_learned.melody``), on numpy tones: the pitch
tracker, the comb that takes a line's partials from a mixture, and the check that leaves an
estimate of chords as it was."""

from __future__ import annotations

import numpy as np

from audiolasso_learned import SAMPLE_RATE, melody
from serve_app.audio import stft
from serve_app.audio.metrics import si_sdr

NOTE_S = 0.5


def _line(pitches: list[float], partials: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """One note after another, each with ``partials`` partials falling as 1/k; and its pitch per sample."""
    f0 = np.repeat(np.asarray(pitches, np.float64), int(NOTE_S * SAMPLE_RATE))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    x = sum(np.sin(k * phase) / k for k in range(1, partials + 1))
    return (0.1 * x / np.sqrt(np.mean(x**2))).astype(np.float32), f0


MELODY = [262.0, 294.0, 330.0, 392.0, 440.0, 523.0, 440.0, 392.0]


def _chords() -> np.ndarray:
    """Three held notes at once, changing every two melody notes, a quarter tone off the melody's
    scale (so that the two share no partial: a shared one is as much the chord's as the line's)."""
    roots = [175.0, 175.0, 196.0, 196.0, 147.0, 147.0, 165.0, 165.0]
    voices = [_line([r * ratio * 2 ** (1 / 24) for r in roots], partials=6)[0] for ratio in (1.0, 1.26, 1.5)]
    return (sum(voices) / 3).astype(np.float32)


def _pitch_per_frame(f0: np.ndarray, frames: int) -> np.ndarray:
    centres = np.minimum(np.arange(frames) * melody.HOP, len(f0) - 1)
    return f0[centres]


def test_the_tracker_follows_the_strongest_line_of_a_leaky_estimate():
    line, f0 = _line(MELODY)
    estimate = line + 0.5 * _chords()
    magnitude = np.abs(stft.stft(estimate, melody.N_FFT, melody.HOP, pad_mode="constant"))
    tracked, _ = melody.track(magnitude, SAMPLE_RATE)
    error = np.abs(12 * np.log2(tracked / _pitch_per_frame(f0, len(tracked))))
    assert np.mean(error < 0.5) > 0.85


def test_the_comb_takes_the_lines_partials_from_the_mixture():
    line, _ = _line(MELODY)
    chords = _chords()
    mixture = line + 2 * chords
    estimate = line + chords  # a network's estimate: the right instrument, the band leaking in
    refined = melody.refine(mixture, estimate, SAMPLE_RATE)
    assert refined.shape == mixture.shape
    assert si_sdr(refined, line) > si_sdr(estimate, line) + 3.0  # 4.4 -> 9.1 dB


def test_an_estimate_of_chords_stays_as_it_was():
    line, _ = _line(MELODY)
    chords = _chords()
    assert melody.refine(line + chords, chords, SAMPLE_RATE) is chords
    silence = np.zeros_like(line)
    assert melody.refine(line, silence, SAMPLE_RATE) is silence
