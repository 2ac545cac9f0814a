"""Entry point (group ``audiolasso``): registers the ``learned`` backend."""

from collections.abc import Callable

from audiolasso_learned.backend import LearnedBackend
from serve_app.hookspecs import hookimpl


@hookimpl
def register_backends(register: Callable[[type], None]) -> None:
    register(LearnedBackend)
