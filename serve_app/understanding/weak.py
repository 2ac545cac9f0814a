"""Spot prompts too vague to act on well ("clean this", "remove noise").

Rules only, no model: the Ingress calls this on every submit and must stay
light. Such prompts are accepted, with a warning that says how to be specific.
"""

from __future__ import annotations

from serve_app.prompts import parse_prompt

# Words that say nothing about which sound is meant.
VAGUE_WORDS = frozenset(
    """this that it these those everything all whole entire thing things stuff audio sound sounds
    recording track file clip mix song noise noises background unwanted bad annoying extra
    clean cleaner cleanup clear clearer better nicer nice good quality up make fix improve enhance
    sound sounding louder quieter more less some any other
    the a an of in on to for with and or me my our your please bit little""".split()
)

WEAK_PROMPT_WARNING = (
    'The prompt "{prompt}" does not say which sound to keep or remove, so the result is a general '
    'clean-up. Name the sound for a better result, e.g. "remove crowd noise and keep the speaker", '
    '"isolate the lead vocal" or "extract the dog bark from the street recording".'
)


def is_vague(phrase: str) -> bool:
    """True when every word of ``phrase`` is a vague one (or there are none)."""
    return all(word in VAGUE_WORDS for word in phrase.replace("-", " ").split())


def is_weak_prompt(prompt: str) -> bool:
    """True when the prompt names no specific sound on either side."""
    try:
        intent = parse_prompt(prompt)
    except ValueError:
        return True
    return all(is_vague(phrase) for phrase in (intent.target_phrase, intent.remove_phrase) if phrase)


def prompt_warnings(prompt: str, marked: bool = False) -> list[str]:
    """Warnings for the 202 response: one when the prompt names no specific sound
    and no include span (``marked``) shows which sound is meant."""
    if marked or not is_weak_prompt(prompt):
        return []
    return [WEAK_PROMPT_WARNING.format(prompt=prompt.strip())]
