"""From a prompt to what to keep and what to remove, as sound concepts.

``parse_prompt`` (rules) finds the phrases and which side the user wants;
each phrase is then matched to the closest concept of the catalog with the
sentence-embedding model. A phrase far from every concept becomes ``other``,
so any prompt gets an answer and a confidence to judge it by.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from serve_app.prompts import parse_prompt
from serve_app.understanding import embedding
from serve_app.understanding.catalog import BY_NAME, CONCEPTS, OTHER, Concept
from serve_app.understanding.weak import is_vague, is_weak_prompt

# Cosine similarity below which a phrase is "other": paraphrases of listed
# sounds score >= 0.6 ("the yapping puppy": dog 0.67), unlisted sounds less
# ("the baby crying": 0.46, "isolate the glorp": 0.32).
MIN_CONFIDENCE = 0.5


class ConceptMatch(BaseModel):
    concept: str = Field(description="Catalog name, or 'other'.")
    family: str = Field(description="voice, music, instrument, noise, event or other.")
    phrase: str = Field(description="The words of the prompt this was read from.")
    confidence: float = Field(description="Cosine similarity to the closest example of the concept (0-1).")


class Interpretation(BaseModel):
    """What the target track should hold.

    ``target`` is the sound to separate; the target track is that sound, or,
    when ``inverted``, everything except it. ``keep`` and ``remove`` are the
    sounds the prompt named on each side (either may be absent).
    """

    target: ConceptMatch
    inverted: bool
    keep: ConceptMatch | None = None
    remove: ConceptMatch | None = None
    vague: bool = Field(False, description="The prompt names no specific sound (e.g. 'clean this').")

    def flat(self) -> dict[str, Any]:
        """JSON-able summary for a plan: the target's fields at the top, then the rest."""
        return {**self.target.model_dump(), **self.model_dump(exclude={"target"})}


# What a vague prompt ("clean this", "remove noise") is taken to mean.
_VAGUE_READING = "steady background noise"
_MARKED_READING = "the sound the spans mark"


def understand(prompt: str, marked: bool = False) -> Interpretation:
    """Read ``prompt``; never fails. ``marked``: include spans mark the target, so a
    prompt naming nothing ("keep this") means the marked sound; without them such a
    prompt is read as a general clean-up (remove steady background noise)."""
    if is_weak_prompt(prompt):
        return _marked() if marked else _vague()
    intent = parse_prompt(prompt)
    named = [intent.target_phrase] + ([intent.remove_phrase] if intent.remove_phrase else [])
    matches = dict(zip(named, match_concepts(named), strict=True))
    if intent.inverted:
        removed = matches[intent.target_phrase]
        return Interpretation(target=removed, inverted=True, remove=removed)
    keep = matches[intent.target_phrase]
    remove = matches[intent.remove_phrase] if intent.remove_phrase else None
    if remove is not None and (keep.concept == "other" or is_vague(keep.phrase)) and remove.concept != "other":
        # "get rid of the traffic, keep the good stuff": only the removed sound is known.
        return Interpretation(target=remove, inverted=True, keep=None, remove=remove)
    return Interpretation(target=keep, inverted=False, keep=keep, remove=remove)


def match_concepts(phrases: list[str]) -> list[ConceptMatch]:
    """The closest concept for each phrase (one batched model call)."""
    names, examples = _example_matrix()
    scores = embedding.encode(phrases) @ examples.T  # (phrases, examples), cosine similarities
    out = []
    for phrase, row in zip(phrases, scores, strict=True):
        best = int(np.argmax(row))
        confidence = float(row[best])
        concept = BY_NAME[names[best]] if confidence >= MIN_CONFIDENCE else OTHER
        out.append(
            ConceptMatch(concept=concept.name, family=concept.family, phrase=phrase, confidence=round(confidence, 3))
        )
    return out


@functools.cache
def _example_matrix() -> tuple[list[str], np.ndarray]:
    """(concept name per example, embeddings of every catalog example)."""
    names = [c.name for c in CONCEPTS for _ in c.examples]
    return names, embedding.encode([e for c in CONCEPTS for e in c.examples])


def _marked() -> Interpretation:
    target = ConceptMatch(concept=OTHER.name, family=OTHER.family, phrase=_MARKED_READING, confidence=0.0)
    return Interpretation(target=target, inverted=False, keep=target, vague=True)


def _vague() -> Interpretation:
    noise: Concept = BY_NAME["hiss"]
    target = ConceptMatch(concept=noise.name, family=noise.family, phrase=_VAGUE_READING, confidence=0.0)
    return Interpretation(target=target, inverted=True, remove=target, vague=True)
