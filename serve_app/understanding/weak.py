"""The advice a vague prompt ("clean this", "remove noise") gets in the 202, the
status and the result: such prompts are served as a general clean-up."""

from __future__ import annotations

from serve_app.understanding.reading import Reading

WEAK_PROMPT_WARNING = (
    'The prompt "{prompt}" does not say which sound to keep or remove, so the result is a general '
    'clean-up. Name the sound for a better result, e.g. "remove crowd noise and keep the speaker", '
    '"isolate the lead vocal" or "extract the dog bark from the street recording".'
)


def prompt_warnings(prompt: str, reading: Reading, marked: bool = False) -> list[str]:
    """One warning when the prompt names no specific sound and no include span
    (``marked``) shows which sound is meant."""
    if marked or not reading.vague:
        return []
    return [WEAK_PROMPT_WARNING.format(prompt=prompt.strip())]
