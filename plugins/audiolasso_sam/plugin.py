"""Entry point (group ``audiolasso``): registers the ``sam-audio`` backend and its variants."""

from collections.abc import Callable

from audiolasso_sam.backend import SAMAudioBackend
from serve_app.hookspecs import hookimpl


@hookimpl
def register_backends(register: Callable[[type], None]) -> None:
    register(SAMAudioBackend)
