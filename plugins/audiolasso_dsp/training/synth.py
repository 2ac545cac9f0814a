"""Render notes of a General MIDI program with fluidsynth (Debian: ``fluidsynth`` + a sound font)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from audiolasso_dsp.training.midi import note_sequence


def render(
    soundfont: Path,
    program: int | None,
    notes: list[int],
    sample_rate: int,
    velocities: tuple[int, ...] = (70, 110),
    on_s: float = 1.0,
    gap_s: float = 0.6,
) -> np.ndarray:
    """Mono float32 audio of each note at each velocity in turn, dry (no reverb or chorus)."""
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
        mid.write_bytes(note_sequence(program, notes, velocities, on_s, gap_s))
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-R",
                "0",
                "-C",
                "0",
                "-g",
                "0.5",
                "-r",
                str(sample_rate),
                "-F",
                str(wav),
                str(soundfont),
                str(mid),
            ],
            check=True,
            capture_output=True,
        )
        audio, _ = sf.read(wav, dtype="float32", always_2d=True)
    return audio.mean(1)
