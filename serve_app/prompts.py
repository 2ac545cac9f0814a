"""Turn a free-text separation request into what to separate and which side to return.

Rule-based on purpose: cheap, predictable and shared by every backend. A backend
queries ``target_phrase`` and returns the complement when ``inverted`` is set.
To teach it a new phrasing, add a verb to ``KEEP_VERBS`` / ``REMOVE_VERBS`` or a
filler word to the lists below.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

KEEP_VERBS = (
    "keep only", "keep just", "keep", "isolate", "extract", "separate", "pull out", "pull",
    "get only", "get just", "get", "give me", "bring out", "enhance", "only want", "only need",
    "just want", "just need", "want", "need", "leave only", "leave just", "only", "just",
    "hear", "listen to", "focus on",
)
REMOVE_VERBS = (
    "get rid of", "remove", "drop", "delete", "eliminate", "mute", "cut out", "cut",
    "take out", "strip out", "strip", "filter out", "suppress", "erase", "lose", "kill", "without",
)
# Single words that may precede the verb ("could you please ..."). One word per
# alternative keeps the match linear: overlapping multi-word fillers backtrack
# exponentially on long prompts.
_LEADING_FILLER = (
    r"(?:(?:please|can|could|would|will|you|i|id|we|like|want|need|to|help|me|lets|now|also|then|so)\s+)*"
)
# Articles and quantifiers stripped from the start of a phrase.
_ARTICLES = re.compile(r"^(?:(?:the|a|an|this|that|these|those|my|our|any|all|of|only|just)\s+)+")
# A relative clause describes which instance, not what kind of sound.
_RELATIVE_CLAUSE = re.compile(r"\s+(?:that|which|who)\s+.*$")
# Trailing words that describe the request, not the sound.
_TRAILING = re.compile(
    r"(?:\s+(?:please|out|only|part|i marked|here|in this (?:clip|recording|audio|file|track|song)))+$"
)
# Phrases meaning "whatever is not removed".
GENERIC_PHRASES = frozenset({
    "everything", "everything else", "rest", "rest of it", "rest of the audio",
    "all else", "remainder", "audio", "recording", "mix", "it", "song", "track",
})
_FROM = re.compile(r"\s+(?:from|out of|away from)\s+")
# "X behind Y": in "remove X behind Y", Y is what to keep; in "isolate X over Y", Y goes.
_RELATIVE = re.compile(r"\s+(?:behind|under|underneath|beneath|over|on top of)\s+")
_WITHOUT = re.compile(r"\s+(?:without|minus|but not|except|except for|apart from)\s+")


class PromptIntent(BaseModel):
    """The parsed request.

    ``target_phrase`` is the sound to separate out; when ``inverted`` is true
    the user asked to remove it, so the answer is everything else.
    ``remove_phrase`` is what the user named as unwanted, if anything.
    """

    target_phrase: str
    remove_phrase: str | None = None
    inverted: bool = False


def parse_prompt(text: str) -> PromptIntent:
    """Parse ``text``; raises ``ValueError`` when it names no sound at all."""
    keep: str | None = None
    remove: str | None = None
    for clause in _clauses(_normalize(text)):
        kept, removed = _parse_clause(clause)
        keep = keep or kept
        remove = remove or removed
    if keep and keep not in GENERIC_PHRASES:
        return PromptIntent(target_phrase=keep, remove_phrase=remove)
    if remove:
        return PromptIntent(target_phrase=remove, remove_phrase=remove, inverted=True)
    if keep:
        return PromptIntent(target_phrase=keep)
    raise ValueError("the prompt does not name a sound to separate")


def _normalize(text: str) -> str:
    text = re.sub(r"['’]s\b", "", text.lower())
    # Clause punctuation becomes a comma; everything else that is not a word goes.
    text = re.sub(r"[.;:!?()\[\]\"]+", ",", text)
    text = re.sub(r"[^a-z0-9,\s-]+", "", text)
    return re.sub(r"\s+", " ", text).strip(" ,")


def _verb_alternation(verbs: tuple[str, ...]) -> str:
    # Longest first so "get rid of" wins over "get".
    return "|".join(re.escape(v) for v in sorted(verbs, key=len, reverse=True))


_KEEP = _verb_alternation(KEEP_VERBS)
_REMOVE = _verb_alternation(REMOVE_VERBS)
# Clauses end at punctuation, at "so (that)", and at a conjunction that is
# followed by a verb ("remove X and keep Y", but not "the bass and drums").
_CLAUSE_SPLIT = re.compile(
    r"\s*,\s*(?:(?:and|but|then)\s+)?"
    r"|\s+so(?:\s+that)?\s+"
    rf"|\s+(?:and|but|then|while)\s+(?={_LEADING_FILLER}(?:{_KEEP}|{_REMOVE})\b)"
)
_REMOVE_CLAUSE = re.compile(rf"^{_LEADING_FILLER}(?:{_REMOVE})\s+(?P<phrase>.+)$")
_KEEP_CLAUSE = re.compile(rf"^{_LEADING_FILLER}(?:{_KEEP})\s+(?P<phrase>.+)$")


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(text) if c.strip()]


def _parse_clause(clause: str) -> tuple[str | None, str | None]:
    """(kept phrase, removed phrase) named by one clause."""
    if m := _REMOVE_CLAUSE.match(clause):
        removed, kept = _split(m["phrase"], _RELATIVE)
        return kept, removed
    m = _KEEP_CLAUSE.match(clause)
    return _split(m["phrase"] if m else clause, _WITHOUT, _FROM, _RELATIVE)


def _split(body: str, *splitters: re.Pattern[str]) -> tuple[str | None, str | None]:
    """(before, after) at the first splitter that occurs, else (body, None)."""
    for splitter in splitters:
        parts = splitter.split(body, maxsplit=1)
        if len(parts) == 2:
            return _clean(parts[0]), _clean(parts[1])
    return _clean(body), None


def _clean(phrase: str) -> str | None:
    phrase = _ARTICLES.sub("", phrase.strip(" ,-"))
    phrase = _TRAILING.sub("", _RELATIVE_CLAUSE.sub("", phrase))
    return phrase or None
