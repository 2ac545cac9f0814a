"""Learn the per-instrument NMF dictionaries in ``data/instruments.npz``.

Renders isolated notes of several General MIDI programs per instrument family
with fluidsynth (Debian: ``fluidsynth``, ``timgm6mb-soundfont``), and learns a
few spectral bases per family with NMF. The shipped file was made from
TimGM6mb only, a different sound font from the FluidR3 renders in the dev
corpus, so the dev scores measure generalisation across timbres.

    python -m audiolasso_dsp.training.make_dictionaries /usr/share/sounds/sf2/TimGM6mb.sf2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from audiolasso_dsp import instruments, nmf
from audiolasso_dsp.spectral import stft
from audiolasso_dsp.training.synth import render

# family: (GM programs, 0-based; None = the drum kit), MIDI notes (drum keys for the kit)
FAMILIES: dict[str, tuple[list[int] | None, range | list[int]]] = {
    "piano": ([0, 1, 2, 3, 4, 5, 6, 7], range(33, 97, 2)),
    "organ_synth": ([16, 17, 18, 19, 80, 81, 88, 89, 90], range(36, 85, 2)),
    "guitar": ([24, 25, 26, 27, 28, 29, 30], range(40, 85, 2)),
    "bass": ([32, 33, 34, 35, 36, 37, 38, 39], range(28, 62, 2)),
    "strings": ([40, 41, 42, 44, 45, 48, 49, 50], range(36, 97, 2)),
    "brass": ([56, 57, 58, 60, 61, 62], range(40, 83, 2)),
    "woodwinds": ([64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75], range(48, 97, 2)),
    "drums": (None, [35, 36, 38, 40, 37, 39, 42, 44, 46, 49, 51, 57, 45, 47, 48, 50, 41, 43, 53, 55, 54, 56]),
}
BASES_PER_FAMILY = 32
ITERATIONS = 150
VELOCITIES = (70, 110)


def family_spectrogram(soundfonts: list[Path], programs: list[int] | None, notes: list[int]) -> torch.Tensor:
    frames = []
    for soundfont in soundfonts:
        for program in programs or [None]:
            audio = render(soundfont, program, notes, instruments.SAMPLE_RATE, VELOCITIES)
            V = stft(audio, instruments.N_FFT, instruments.HOP).abs()
            V = V[: instruments.BINS]
            energy = V.sum(0)
            frames.append(V[:, energy > energy.max() * 1e-3])  # drop the silent gaps
    return torch.cat(frames, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("soundfonts", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=instruments.DICTIONARY_PATH)
    parser.add_argument("--bases", type=int, default=BASES_PER_FAMILY, help="bases per family")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    learnt = {}
    for family, (programs, notes) in FAMILIES.items():
        V = family_spectrogram(args.soundfonts, programs, list(notes))
        W, _ = nmf.learn(V, args.bases, ITERATIONS, seed=args.seed)
        learnt[family] = W.numpy().astype(np.float16)
        print(f"{family}: {V.shape[1]} frames -> {args.bases} bases", flush=True)
    np.savez_compressed(args.out, **learnt)


if __name__ == "__main__":
    main()
