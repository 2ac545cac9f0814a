"""Offline tools that make the backend's committed data files (not imported at run time)."""
