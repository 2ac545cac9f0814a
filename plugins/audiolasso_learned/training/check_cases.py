"""More cases for choosing a dsp recipe: one event concept's train-split clips over five backgrounds.

    python -m audiolasso_learned.training.check_cases alarm /tmp/check-alarm
    .venv/bin/audiolasso eval /tmp/check-alarm --backend dsp [--without-spans]

The tuning corpora hold two to eight cases of an event concept, often one recording drawn again
(tune's alarms: one ringtone and one set of crossing bells). This writes a case for every clip of
the concept among the bank's recordings, Fluid R3's sampled effects and numpy animal calls, placed
once or twice in 8.5 s over a generated song, a crowd, traffic, a talker or wind in turn, at an
event-to-background ratio drawn from −3 to +5 dB over the event's samples, in the corpus format
(``corpora/README.md``: mixture = target + residual, correct span hints), prompt "isolate the
LABEL" (the catalog's: "isolate the vehicles"; for ``other``, the clip's own name: "isolate a
heartbeat"). The network trained on these very clips, so the cases check dsp's recipes only, never
the learned backend or the routes. Needs the bank's Debian packages (docs/learned.md).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from audiolasso_learned.training import sources
from serve_app.understanding.catalog import BY_NAME

DURATION_S = 8.5
EVENT_MAX_S = 3.0
RATIO_DB = (-3.0, 5.0)
BACKGROUNDS = ("song", "crowd", "traffic", "talker", "wind")
Background = Callable[[int], np.ndarray]


def event_clips(concept: str, seed: int) -> Iterator[sources.Clip]:
    """The event clips of ``concept`` among the bank's recordings, sampled effects and numpy calls."""
    rng = np.random.default_rng(seed)
    for clips in (sources.recorded_clips(), sources.sfx_clips(rng), sources.animal_clips(seed)):
        yield from (c for c in clips if c.kind == "event" and c.concept == concept)


def backgrounds(seed: int) -> dict[str, Background]:
    """Each background kind's ``index``-th clip (from the train split; ``mixture`` sets its level)."""
    talkers = [sources.speech_clip(np.random.default_rng([seed, 1, i])).audio for i in range(10)]

    def song(i: int) -> np.ndarray:
        stems = sources.song(np.random.default_rng([seed, 2, i]), i, seconds=DURATION_S)
        levels = np.random.default_rng([seed, 3, i]).uniform(0.5, 1.0, len(stems))
        return np.sum([level * s.audio for level, s in zip(levels, stems, strict=True)], axis=0)

    def noise(kind: str) -> Background:
        return lambda i: sources.noise(kind, np.random.default_rng([seed, 4, i]), talkers, seconds=DURATION_S)

    return {
        "song": song,
        "crowd": noise("crowd"),
        "traffic": noise("traffic"),
        "talker": lambda i: talkers[i % len(talkers)],
        "wind": noise("wind"),
    }


def mixture(
    event: np.ndarray, background: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """(target, residual, onsets in s): ``event`` once or twice over ``background`` at a drawn ratio."""
    from audiolasso_corpora.audio import fit

    n = int(DURATION_S * sources.SAMPLE_RATE)
    event = event[: int(EVENT_MAX_S * sources.SAMPLE_RATE)]
    onsets = [float(rng.uniform(0.8, 2.0))]
    if rng.random() < 0.6:
        onsets.append(onsets[0] + len(event) / sources.SAMPLE_RATE + float(rng.uniform(0.8, 1.5)))
    target = np.zeros(n)
    for onset in onsets:
        at = int(onset * sources.SAMPLE_RATE)
        piece = event[: max(0, n - at)]
        target[at : at + len(piece)] += piece
    residual = fit(background, n).astype(np.float64)
    sounding = np.abs(target) > 1e-4
    ratio_db = float(rng.uniform(*RATIO_DB))
    residual *= np.sqrt(
        (target[sounding] ** 2).mean() / ((residual[sounding] ** 2).mean() + 1e-12) / 10 ** (ratio_db / 10)
    )
    return target, residual, onsets


def prompt(concept: str, clip: sources.Clip) -> str:
    """ "isolate the LABEL" (the concept's label in the catalog, which reads as the concept: "isolate
    the human" would not), or for a sound the catalog does not know, the clip's own name."""
    return f"isolate {clip.names[0]}" if concept == "other" else f"isolate the {BY_NAME[concept].label}"


def write(
    concept: str, clips: Iterable[sources.Clip], made: dict[str, Background], out: Path, seed: int, log=print
) -> int:
    """Write one case per clip under ``out``, over ``made``'s backgrounds in turn; the number written."""
    from audiolasso_corpora.make import make_spans, write_case

    rng = np.random.default_rng([seed, 5])
    count = 0
    for i, clip in enumerate(clips):
        kind = BACKGROUNDS[i % len(BACKGROUNDS)]
        target, residual, onsets = mixture(clip.audio, made[kind](i), rng)
        cid = f"check_{concept}_{i:03d}"
        write_case(
            out,
            cid,
            "sound_event",
            prompt(concept, clip),
            make_spans(target, rng, max_include=2, max_exclude=2),
            target,
            residual,
            [{"stem": "target", "source": clip.source}, {"stem": "residual", "background": kind}],
            f"{clip.source} over {kind}; onsets {[round(t, 2) for t in onsets]} s.",
            [],
        )
        log(f"{cid}: {clip.source} over {kind}")
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "concept",
        help="an event concept of the catalog: alarm, knock, dog, bird, cat, animal, vehicle, human, or other",
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    if not write(args.concept, event_clips(args.concept, args.seed), backgrounds(args.seed), args.out, args.seed):
        raise SystemExit(f"the training sources hold no event clip of {args.concept!r}")


if __name__ == "__main__":
    main()
