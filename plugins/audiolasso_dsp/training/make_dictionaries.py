"""Learn the per-instrument NMF dictionaries in ``data/instruments.npz``.

Renders isolated notes of several General MIDI programs per instrument family
and learns a few spectral bases per family with NMF, from the ``train`` split of
``audiolasso_corpora.sources`` only (tune and heldout material is refused):

- Fluid R3 GM with fluidsynth (Debian: ``fluidsynth``, ``fluid-soundfont-gm``;
  MIT licence). Fluid R3 GS (``fluid-soundfont-gs``) holds only sound-effect
  banks, no instrument programs, so it adds nothing here;
- numpy additive and subtractive synthesis with random patches
  (``audiolasso_corpora.synth``: strings, organ/synth, brass, woodwinds; bass,
  organ/synth, brass);
- the train split's Hydrogen drum kits (``hydrogen-drumkits``: Audiophob,
  BJA_Pacific, ElectricEmpireKit, ForzeeStereo, HardElectro1, Millo-Drums v.1,
  VariBreaks, circAfrique v4, rumpf_kit_z01) through the corpora's sampler.

Fluid R3 is also the dev corpus's soundfont, so dev scores flatter these
dictionaries; choose on the tune corpus. (The previous file was learnt from a
soundfont now reserved for the project's external evaluation.)

    python -m audiolasso_dsp.training.make_dictionaries     # Fluid R3 GM + synthesis + train kits
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, cast

import numpy as np

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
SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),)
# numpy synthesis methods of the train split per family (audiolasso_corpora.synth), patches per method
SYNTHESIS = {
    "strings": ("additive",),
    "organ_synth": ("additive", "subtractive"),
    "brass": ("additive", "subtractive"),
    "woodwinds": ("additive",),
    "bass": ("subtractive",),
}
PATCHES = 2
KITS = (
    "Audiophob",
    "BJA_Pacific",
    "ElectricEmpireKit",
    "ForzeeStereo",
    "HardElectro1",
    "Millo-Drums_v.1",
    "VariBreaks",
    "circAfrique v4",
    "rumpf_kit_z01_h2",
)


def _corpora():
    # Imported late: the corpora package is only needed to relearn the dictionaries.
    from audiolasso_corpora import music, sources, synth

    return music, sources, synth


def _train_only(path: str) -> None:
    _, sources, _ = _corpora()
    rel = path.replace("/usr/share/", "", 1)
    split = sources.split_of_file(rel)
    if split != "train":
        raise SystemExit(f"{path}: split {split!r}; dictionaries learn from the train split only")


def _note_list(notes: list[int]) -> list[tuple[float, float, int, int]]:
    """Each note at each velocity, 1 s on and 0.6 s apart (as ``synth.render`` plays a program)."""
    out, t = [], 0.0
    for note in notes:
        for velocity in VELOCITIES:
            out.append((t, 1.0, note, velocity))
            t += 1.6
    return out


def _frames(audio: np.ndarray) -> np.ndarray:
    V = np.abs(stft(audio, instruments.N_FFT, instruments.HOP)[: instruments.BINS])
    energy = V.sum(0)
    return V[:, energy > energy.max() * 1e-3]  # drop the silent gaps


def family_spectrogram(
    family: str,
    soundfonts: list[Path],
    programs: list[int] | None,
    notes: list[int],
    synthesis: bool,
    kits: bool,
    seed: int,
) -> np.ndarray:
    frames = []
    for soundfont in soundfonts:
        for program in cast("list[int | None] | None", programs) or [None]:
            frames.append(_frames(render(soundfont, program, notes, instruments.SAMPLE_RATE, VELOCITIES)))
    music, sources, synth = _corpora()
    seq = _note_list(notes)
    duration = seq[-1][0] + 2.0
    if synthesis and family in SYNTHESIS:
        for method in SYNTHESIS[family]:
            assert sources.get(f"synth_{method}").split == "train"
            for patch in range(PATCHES):
                rng = np.random.default_rng([seed, patch, len(family), len(method)])
                frames.append(_frames(synth.render(method, family, seq, rng, duration, instruments.SAMPLE_RATE)))
    if kits and programs is None:
        for kit in KITS:
            source = next(s for s in sources.REGISTRY if s.kind == "sample_kit" and s.path.endswith("/" + kit))
            assert source.split == "train", source.id
            audio = music.render_hydrogen(source, seq, np.random.default_rng(seed), duration, instruments.SAMPLE_RATE)
            frames.append(_frames(audio))
    return np.concatenate(frames, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "soundfonts",
        nargs="*",
        type=Path,
        default=list(SOUNDFONTS),
        help="train-split soundfonts (default: Fluid R3 GM)",
    )
    parser.add_argument("--no-synthesis", action="store_true", help="leave out the numpy synthesis")
    parser.add_argument("--no-kits", action="store_true", help="leave out the Hydrogen kits (drums)")
    parser.add_argument("--out", type=Path, default=instruments.DICTIONARY_PATH)
    parser.add_argument("--bases", type=int, default=BASES_PER_FAMILY, help="bases per family")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for soundfont in args.soundfonts:
        _train_only(str(soundfont))
    learnt: dict[str, Any] = {}  # savez takes the arrays as keyword arguments
    for family, (programs, notes) in FAMILIES.items():
        V = family_spectrogram(
            family, args.soundfonts, programs, list(notes), not args.no_synthesis, not args.no_kits, args.seed
        )
        W, _ = nmf.learn(V, args.bases, ITERATIONS, seed=args.seed)
        learnt[family] = W.astype(np.float16)
        print(f"{family}: {V.shape[1]} frames -> {args.bases} bases", flush=True)
    np.savez_compressed(args.out, **learnt)


if __name__ == "__main__":
    main()
