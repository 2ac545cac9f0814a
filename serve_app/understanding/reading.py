"""From a prompt to the service's one reading of it, shared by every backend.

``grammar`` (rules) finds the sound to separate and whether the target track
is that sound or everything except it; each named phrase is then matched to
the closest concept of the catalog with the sentence-embedding model, so a
closed-vocabulary backend knows what it is closest to ("cuckoo calls" ->
birds) while a text-queried one gets the phrase itself. A phrase far from
every example is read by the general kind of thing it is nearest ("the
antelope": an animal), else ``other``; a prompt that names no sound is ``vague``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from serve_app.understanding import embedding, grammar
from serve_app.understanding.catalog import BY_NAME, CONCEPTS, KINDS, OTHER, OWN_NAMES, Concept

# Cosine similarity below which a phrase is "other": paraphrases of listed sounds
# score >= 0.58 ("the dry vocal", "the yapping puppy": dog 0.67), unlisted sounds
# less ("the baby crying": 0.48, "the echo": 0.51, "isolate the glorp": 0.32).
MIN_CONFIDENCE = 0.55
# At or above this similarity to one of a concept's own names, a phrase names the concept itself.
EXACT_CONFIDENCE = 0.75
# Below MIN_CONFIDENCE, a phrase whose nearest kind (``catalog.KINDS``) has a concept and is this
# much nearer than every kind without one is that concept: of 65 animal names, 14 read as animals or
# birds without the kinds, 31 with them; of 54 unknown non-animal sounds, 2 more did (a vampire, a
# mermaid; docs/quality.md).
KIND_MARGIN = 0.05
# Words that name no kind of thing: a phrase is also read without them at its end (``_bare``).
_SOUND_WORDS = {"sound", "sounds", "noise", "noises"}


class SoundMatch(BaseModel):
    """A sound the prompt names, and the catalog concept closest to it."""

    model_config = ConfigDict(frozen=True)

    phrase: str = Field(description="The words of the prompt that name the sound (articles and requests removed).")
    concept: str = Field(description="The closest catalog concept, or 'other' when none is close.")
    family: str = Field(description="voice, music, instrument, noise, event or other.")
    confidence: float = Field(description="Cosine similarity of the phrase to the concept's closest example (0-1).")
    exact: bool = Field(
        False, description="The phrase names the concept itself, not one sound of its family ('hi-hat' for drums)."
    )


class Reading(BaseModel):
    """What the target track should hold: ``target`` is the sound to separate;
    the target track is that sound, or everything except it when ``inverted``.
    ``other`` is the sound the prompt named on the opposite side ("clean up the
    hum, keep the voice": target voice, other hum)."""

    model_config = ConfigDict(frozen=True)

    target: SoundMatch
    inverted: bool = Field(description="true: the target track is everything except the sound ('remove the drums').")
    other: SoundMatch | None = None
    vague: bool = Field(False, description="The prompt names no specific sound (e.g. 'clean this').")

    @property
    def keep(self) -> SoundMatch | None:
        return self.other if self.inverted else self.target

    @property
    def remove(self) -> SoundMatch | None:
        return self.target if self.inverted else self.other


class UnreadablePrompt(ValueError):
    """The prompt names its sound in a way no backend can read (symbols only)."""


# What a vague prompt ("clean this", "remove noise") is taken to mean, and a
# prompt naming nothing whose include spans mark the sound ("keep this").
VAGUE_READING = "steady background noise"
MARKED_READING = "the sound the spans mark"
# Pictographs and symbols: "🎤 only" names a sound the rules cannot read.
_SYMBOLS = re.compile(r"[^\w\s.,;:!?'\"()\[\]{}&+/-]")


def read(prompt: str, marked: bool = False) -> Reading:
    """Read ``prompt``. ``marked``: include spans mark the target, so a prompt naming
    nothing ("keep this") means the marked sound; without them such a prompt is read
    as a general clean-up (remove steady background noise). Raises UnreadablePrompt
    for a prompt whose only sound words are symbols."""
    return _read(prompt.strip(), marked)


@functools.lru_cache(maxsize=4096)
def _read(prompt: str, marked: bool) -> Reading:
    parsed = grammar.parse(prompt)
    if parsed.target is None:
        if _SYMBOLS.search(prompt) and not marked:
            raise UnreadablePrompt(
                f'The prompt "{prompt}" names its sound with symbols; say it in words, '
                'e.g. "isolate the lead vocal" or "remove the drums".'
            )
        return _marked() if marked else _vague()
    named = [parsed.target] + ([parsed.other] if parsed.other else [])
    matches = match_concepts(named)
    return Reading(target=matches[0], inverted=parsed.inverted, other=matches[1] if parsed.other else None)


def match_concepts(phrases: list[str]) -> list[SoundMatch]:
    """The closest concept for each phrase (one batched model call)."""
    names, own, examples = _example_matrix()
    # Each phrase is also read with its last word in the singular ("warning bells" ->
    # "warning bell"): the small embedding model scores plurals lower than the catalog's
    # singular examples; and without a trailing "sound(s)" or "noise(s)" ("the animal noises":
    # else hiss's "noise" is nearest). The best of the readings counts.
    variants = list(dict.fromkeys([*phrases, *map(singular, phrases), *map(_bare, phrases)]))  # each embedded once
    vectors = dict(zip(variants, embedding.encode(variants), strict=True))
    similarity = {text: vector @ examples.T for text, vector in vectors.items()}  # cosine per example
    scores = [np.max([similarity[p], similarity[singular(p)], similarity[_bare(p)]], 0) for p in phrases]
    out = []
    for phrase, row in zip(phrases, scores, strict=True):
        best = int(np.argmax(row))
        concept = BY_NAME[names[best]] if row[best] >= MIN_CONFIDENCE else _kind(vectors[_bare(phrase)])
        chosen = names == concept.name  # none for ``other``: then the closest example of any concept
        confidence = float(row[chosen].max() if chosen.any() else row[best])
        exact = bool(row[chosen & own].max(initial=0.0) >= EXACT_CONFIDENCE)
        out.append(
            SoundMatch(
                concept=concept.name, family=concept.family, phrase=phrase, confidence=round(confidence, 3), exact=exact
            )
        )
    return out


def singular(phrase: str) -> str:
    """``phrase`` with a regular English plural at its end made singular (a rough rule:
    "bells" -> "bell", "sirens" -> "siren"; "bass", "chorus", "news" stay)."""
    head, _, last = phrase.rpartition(" ")
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is", "ws")):
        last = last[:-1]
    return f"{head} {last}".strip()


def _bare(phrase: str) -> str:
    """``phrase`` without a trailing "sound(s)" or "noise(s)": "the hedgehog sounds" is a hedgehog,
    not "a sound effect" or hiss's "noise"."""
    head, _, last = phrase.rpartition(" ")
    return head if head and last in _SOUND_WORDS else phrase


def _kind(vector: np.ndarray) -> Concept:
    """The concept of the kind of thing ``vector`` is nearest (``catalog.KINDS``), where that kind has
    one and is ``KIND_MARGIN`` nearer than every kind without one; else ``other``."""
    concepts, matrix = _kind_matrix()
    scores = matrix @ vector
    best = int(np.argmax(scores))
    rival = max(score for concept, score in zip(concepts, scores, strict=True) if concept is None)
    name = concepts[best]
    return OTHER if name is None or scores[best] - rival < KIND_MARGIN else BY_NAME[name]


@functools.cache
def _kind_matrix() -> tuple[list[str | None], np.ndarray]:
    return list(KINDS.values()), embedding.encode(list(KINDS))


@functools.cache
def _example_matrix() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(concept name per example, whether it is one of the concept's own names, embeddings)."""
    names = np.array([c.name for c in CONCEPTS for _ in c.examples])
    own = np.array([i < OWN_NAMES for c in CONCEPTS for i in range(len(c.examples))])
    return names, own, embedding.encode([e for c in CONCEPTS for e in c.examples])


def _marked() -> Reading:
    target = SoundMatch(concept=OTHER.name, family=OTHER.family, phrase=MARKED_READING, confidence=0.0)
    return Reading(target=target, inverted=False, vague=True)


def _vague() -> Reading:
    noise: Concept = BY_NAME["hiss"]
    target = SoundMatch(concept=noise.name, family=noise.family, phrase=VAGUE_READING, confidence=0.0)
    return Reading(target=target, inverted=True, vague=True)
