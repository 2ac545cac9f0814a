"""Varied prompts for a target sound, read the way the backend reads them.

A prompt is a template filled with one of the catalog's example phrases for the
concept; the phrase the network is conditioned on is the one the service's
grammar (``serve_app.understanding.grammar``) takes from it, exactly what the
backend embeds at run time. "remove the X" prompts still name X, the sound the
network estimates; the service returns the complement.
"""

from __future__ import annotations

import numpy as np

from serve_app.understanding.grammar import parse
from serve_app.understanding.catalog import BY_NAME

KEEP_TEMPLATES = (
    "isolate the {t}", "separate the {t} from the rest", "the {t}", "{t}", "extract the {t}",
    "I want just the {t}", "pull out the {t}", "keep only the {t}", "give me the {t} please",
    "could you bring out the {t} in this recording",
)
REMOVE_TEMPLATES = ("remove the {t}", "drop the {t}", "mute the {t}", "take out the {t} please")
BOTH_TEMPLATES = ("remove the {o} and keep the {t}", "get rid of the {o}, I only want the {t}")


def phrases_of(concept: str) -> tuple[str, ...]:
    c = BY_NAME[concept]
    return (c.label, *c.examples)


def prompt_for(rng: np.random.Generator, target: str, other: str | None) -> tuple[str, str]:
    """(prompt, the phrase it names the target with)."""
    t = str(rng.choice(phrases_of(target)))
    kind = rng.random()
    if other is not None and kind < 0.2:
        prompt = str(rng.choice(BOTH_TEMPLATES)).format(t=t, o=str(rng.choice(phrases_of(other))))
    elif kind < 0.35:
        prompt = str(rng.choice(REMOVE_TEMPLATES)).format(t=t)
    else:
        prompt = str(rng.choice(KEEP_TEMPLATES)).format(t=t)
    return prompt, named_phrase(prompt, t)


def named_phrase(prompt: str, named: str) -> str:
    """The phrase of ``prompt`` that names the sound to estimate (kept, or removed when inverted).
    Where the grammar reads another sound than the one ``named`` ("the karaoke track" reads as
    the vocals removed) or none ("noise"), the example names ``named`` itself."""
    target = parse(prompt).target
    return target if target and target in named.lower() else named


def all_phrases(concepts: list[str]) -> list[str]:
    """Every phrase ``prompt_for`` can produce for these concepts (to embed once, up front)."""
    out = set()
    for concept in concepts:
        for t in phrases_of(concept):
            for template in (*KEEP_TEMPLATES, *REMOVE_TEMPLATES, *BOTH_TEMPLATES):
                out.add(named_phrase(template.format(t=t, o="hum"), t))
    return sorted(out)
