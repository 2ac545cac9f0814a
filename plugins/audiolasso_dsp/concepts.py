"""Which sounds the DSP backend can separate, and how prompts name them."""

from __future__ import annotations

from dataclasses import dataclass

from serve_app.prompts import PromptIntent


@dataclass(frozen=True)
class Concept:
    name: str
    method: str
    label: str  # how the capability list names it
    words: frozenset[str]  # words naming the sound itself
    complement_words: frozenset[str]  # words naming everything except it


SPEECH = Concept(
    name="speech",
    method="deepfilternet3",
    label="speech/speaker/voice",
    words=frozenset(
        "speech speaking speaker speakers voice voices vocal vocals vocalist talker talkers "
        "talking narrator narration dialogue dialog singer singers singing".split()
    ),
    complement_words=frozenset("noise noises hiss hum buzz static rumble wind".split()),
)
DRUMS = Concept(
    name="drums",
    method="hpss-median",
    label="drums/percussion",
    words=frozenset(
        "drum drums drumkit percussion percussive beat beats kick kicks snare snares "
        "hihat hihats hi-hat hi-hats cymbal cymbals tom toms".split()
    ),
    complement_words=frozenset("harmonic harmonics melody melodic tonal pitched chords".split()),
)
CONCEPTS: dict[str, Concept] = {c.name: c for c in (SPEECH, DRUMS)}


def resolve(intent: PromptIntent) -> tuple[Concept, bool] | None:
    """(concept, inverted) for a parsed prompt, or None when no concept fits.

    The kept phrase decides; a named unwanted sound decides only when the kept
    phrase is unknown ("drop the voice, I only need the backing track") and it
    names a concept directly, so "the dog out of the street noise" is refused
    rather than answered with speech.
    """
    if found := _match(intent.target_phrase):
        concept, is_complement = found
        return concept, intent.inverted != is_complement
    if intent.remove_phrase and not intent.inverted:
        found = _match(intent.remove_phrase)
        if found and not found[1]:
            return found[0], True
    return None


def _match(phrase: str) -> tuple[Concept, bool] | None:
    words = set(phrase.split())
    for is_complement in (False, True):
        for concept in CONCEPTS.values():
            if words & (concept.complement_words if is_complement else concept.words):
                return concept, is_complement
    return None
