"""Prompt understanding shared by every backend: what to keep, what to remove, which sound.

``weak`` is rule-based and cheap (the Ingress uses it); ``interpret`` loads a
small sentence-embedding model on first use.
"""
