"""The pluggy hooks a plugin may implement (project name ``audiolasso``)."""

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("audiolasso")
hookimpl = pluggy.HookimplMarker("audiolasso")


@hookspec
def register_backends(register: Callable[[type], None]) -> None:
    """Call ``register(BackendClass)`` for each separation backend the plugin provides."""
