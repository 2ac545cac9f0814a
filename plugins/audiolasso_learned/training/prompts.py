"""Varied prompts for a target sound, read the way the service reads them.

A prompt is a template filled with a name of the sound: one of the catalog's own names for its concept, or
the specific name of the source ("tenor sax", "pizzicato strings", "a dog barking"). The phrase the network
is conditioned on is the one the service's grammar (``serve_app.understanding.grammar.parse``) takes from
the prompt, exactly what the backend embeds at run time; a prompt that names nothing reads as the marked
sound (with include spans) or as the vague clean-up reading. "remove the X" prompts still name X, the sound
the network estimates; the service returns the complement.

No template here is worded like the evaluation corpora's (``corpora/audiolasso_corpora/prompts.py``);
``tests/test_learned.py`` checks it.
"""

from __future__ import annotations

import re

import numpy as np

from serve_app.understanding.catalog import BY_NAME, OWN_NAMES
from serve_app.understanding.grammar import parse
from serve_app.understanding.reading import MARKED_READING, VAGUE_READING

KEEP_TEMPLATES = (
    "isolate the {t}",
    "separate the {t} from the rest",
    "the {t}",
    "{t}",
    "extract the {t}",
    "I want just the {t}",
    "pull out the {t}",
    "keep only the {t}",
    "give me the {t} please",
    "could you bring out the {t} in this recording",
    "only the {t}",
    "{t} only",
    "just the {t}",
    "I need the {t} isolated",
    "filter out everything but the {t}",
    "leave the {t} and remove the rest",
    "isolate {t}",
    "the {t} alone please",
    "can I get the {t} by itself",
    "focus on the {t}",
    "separate {t}",
    "keep the {t}",
)
REMOVE_TEMPLATES = (
    "remove the {t}",
    "drop the {t}",
    "mute the {t}",
    "take out the {t} please",
    "erase the {t}",
    "delete the {t}",
    "remove {t}",
    "cancel the {t}",
    "strip out the {t}",
    "suppress the {t}",
    "no {t} please",
    "eliminate the {t} from this",
    "cut the {t}",
)
BOTH_TEMPLATES = (
    "remove the {o} and keep the {t}",
    "get rid of the {o}, I only want the {t}",
    "keep the {t}, lose the {o}",
    "cut the {o} but leave the {t}",
    "isolate the {t} and discard the {o}",
)
MARKED_TEMPLATES = (
    "isolate the {t} in the marked part",
    "the {t} I highlighted",
    "keep the {t} from my selection",
    "extract the {t} that plays where I marked",
    "only the {t} in the selected region",
)
NAMELESS_MARKED = ("keep this", "isolate this sound", "extract this", "this one only")
VAGUE = ("clean this up", "clean up the audio", "make it clearer", "denoise this please", "fix the sound")
KARAOKE = (
    "make a karaoke version",
    "instrumental version please",
    "I want the instrumental",
    "remove the vocals please",
    "take the singer out",
    "vocals off",
)

# names of the music as a whole and of the voice in a song
MUSIC_NAMES = (
    "music",
    "background music",
    "the accompaniment",
    "backing track",
    "the band",
    "the instruments",
    "the music bed",
    "the arrangement",
    "the backing band",
    "the musical accompaniment",
)
VOCAL_NAMES = (
    "vocals",
    "lead vocals",
    "the singer",
    "singing voice",
    "the vocal track",
    "vocalist",
    "the voice",
    "lead singer",
    "the vocal",
    "the singer's voice",
    "the vocal line",
)


def own_names(concept: str) -> tuple[str, ...]:
    """The catalog's names of the concept itself (not the sounds of its family)."""
    if concept not in BY_NAME or concept == "other":
        return ()
    c = BY_NAME[concept]
    return (c.label, *c.examples[:OWN_NAMES])


def name_for(rng: np.random.Generator, concept: str, specific: tuple[str, ...], specific_share: float = 0.55) -> str:
    """A name of the sound: its specific name or one of its concept's own names."""
    general = own_names(concept)
    if specific and (not general or rng.random() < specific_share):
        return str(specific[int(rng.integers(len(specific)))])
    return str(general[int(rng.integers(len(general)))])


def read_phrase(prompt: str, marked: bool) -> str:
    """The phrase the backend embeds for ``prompt`` (the reading's target phrase)."""
    target = parse(prompt).target
    if target is None:
        return MARKED_READING if marked else VAGUE_READING
    return target


def prompt_for(
    rng: np.random.Generator, t: str, other: str | None = None, marked: bool = False, remove_share: float = 0.15
) -> tuple[str, str]:
    """(prompt, phrase): a prompt naming ``t`` (the sound the network estimates; ``other`` names something
    else in the mix) and the phrase the service reads from it. Where the grammar would read another sound
    than ``t``, a plain "isolate the ..." prompt is used instead."""
    if marked:
        template = str(rng.choice(MARKED_TEMPLATES))
    else:
        kind = rng.random()
        if other is not None and kind < 0.15:
            template = str(rng.choice(BOTH_TEMPLATES))
        elif kind < 0.15 + remove_share:
            template = str(rng.choice(REMOVE_TEMPLATES))
        else:
            template = str(rng.choice(KEEP_TEMPLATES))
    prompt = fill(template, t, other)
    phrase = read_phrase(prompt, marked)
    if not _names(phrase, t):
        prompt = fill("isolate the {t}", t, None)
        phrase = read_phrase(prompt, marked)
    return prompt, phrase


def _bare(name: str) -> str:
    return re.sub(r"^(the|a|an) ", "", name)


def fill(template: str, t: str, other: str | None) -> str:
    """Fill a template without doubled articles ("the the speaker", "the a dog barking")."""
    out = template
    for slot, name in (("{t}", t), ("{o}", other or "")):

        def article(m: re.Match[str], n: str = name) -> str:
            return f"{m.group(1)} {_bare(n)}" if n != _bare(n) else f"{m.group(1)} {n}"

        out = re.sub(r"\b(the|a|an) " + re.escape(slot), article, out)
        out = out.replace(slot, name)
    return out


def _names(phrase: str, t: str) -> bool:
    """Whether the grammar's phrase is (a part of) the name, or the name plus at most one word."""
    p, n = phrase.lower(), _bare(t.lower())
    return p in n or (n in p and len(p.split()) <= len(n.split()) + 1)


def all_templates() -> tuple[str, ...]:
    return KEEP_TEMPLATES + REMOVE_TEMPLATES + BOTH_TEMPLATES + MARKED_TEMPLATES + NAMELESS_MARKED + VAGUE + KARAOKE
