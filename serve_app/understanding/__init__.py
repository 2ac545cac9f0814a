"""Prompt understanding shared by every backend: ``grammar`` (rules: which sound,
keep or remove), ``reading`` (the typed reading, with the closest catalog concept
from a small sentence-embedding model), ``catalog`` (the concepts), ``weak``
(advice for vague prompts)."""
