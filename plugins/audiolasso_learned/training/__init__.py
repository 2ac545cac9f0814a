"""Offline tools that make ``data/learned.safetensors`` (not imported at run time)."""
