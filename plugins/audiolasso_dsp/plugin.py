"""Entry point (group ``audiolasso``): registers the ``dsp`` backend."""

from collections.abc import Callable

from audiolasso_dsp.backend import DSPBackend
from serve_app.hookspecs import hookimpl


@hookimpl
def register_backends(register: Callable[[type], None]) -> None:
    register(DSPBackend)
