"""Plugin discovery: every backend, in-tree or third-party, arrives through the
``audiolasso`` entry-point group and the ``register_backends`` hook."""

from __future__ import annotations

import functools
import logging

import pluggy

from serve_app import hookspecs
from serve_app.backend import Backend

log = logging.getLogger(__name__)


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("audiolasso")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints("audiolasso")
    return pm


def backends() -> dict[str, type[Backend]]:
    """All registered backend classes by name."""
    found: dict[str, type[Backend]] = {}

    def register(cls: type) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise TypeError(f"{cls!r} is not a serve_app.backend.Backend subclass")
        name = cls.info.name
        if name in found and found[name] is not cls:
            raise ValueError(f"two plugins register a backend named {name!r}")
        found[name] = cls

    plugin_manager().hook.register_backends(register=register)
    return found


def get_backend(name: str) -> type[Backend]:
    available = backends()
    if name not in available:
        raise KeyError(f"no backend named {name!r} is installed; installed: {sorted(available) or 'none'}")
    return available[name]
