"""Which deployed Separator serves a request.

A deployed Separator is named by a *key*: the backend's name for its default
variant (``dsp``), else ``name:variant`` (``sam-audio:large``). Backend names
cannot contain ``:``, so a key always splits back into its two parts. Jobs
store the key, the worker routes by it, and clients choose it with the
``backend`` and ``model_variant`` input fields.

A deployment may also route by *concept* (``routes`` in the Serve config):
a job that names no backend is read by the default backend, and when the
sound it asks for has a route, the routed backend serves it instead, or the
routed backends together, their estimates averaged. A route may name a
concept's *family* (``instrument``, ``event``, ...: ``catalog.Family``) for
all its concepts; a concept's own route comes first. ``routes_without_spans``
overrides them, concept by concept, for jobs that give no span hints (span
hints help some backends far more than others): there a concept's own entry,
then its family's, then its ``routes`` as above (``by_concept`` on each table,
the second laid over the first).
The routes come from measurement (docs/learned.md), not from taste.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, get_args

from serve_app.errors import ErrorType, ServiceError
from serve_app.understanding.catalog import BY_NAME, Family

FAMILIES: tuple[str, ...] = get_args(Family)
Route = TypeVar("Route")

DEFAULT_VARIANT = "default"


def backend_key(name: str, variant: str = DEFAULT_VARIANT) -> str:
    return name if variant == DEFAULT_VARIANT else f"{name}:{variant}"


def split_key(key: str) -> tuple[str, str]:
    """(backend name, variant) of a key."""
    name, _, variant = key.partition(":")
    return name, variant or DEFAULT_VARIANT


def resolve_backend(deployed: list[str], backend: str | None, variant: str | None) -> str:
    """The key of the Separator for this request; ``deployed`` is in config order.

    No backend: the first deployed one offering ``variant`` (any variant when
    none is asked for). No variant: the backend's first deployed variant.
    Raises a 422 ServiceError naming what is deployed.
    """
    pairs = [split_key(key) for key in deployed]
    if backend is None:
        candidates = [name for name, v in pairs if variant is None or v == variant]
        if not candidates:
            raise ServiceError(
                f"Model variant {variant!r} is not deployed here; deployed: {_listing(pairs)}.",
                type=ErrorType.UNKNOWN_MODEL_VARIANT,
                field="input.model_variant",
                status_code=422,
            )
        backend = candidates[0]
    variants = [v for name, v in pairs if name == backend]
    if not variants:
        raise ServiceError(
            f"Backend {backend!r} is not deployed here; choose one of {sorted({n for n, _ in pairs})}.",
            type=ErrorType.UNKNOWN_BACKEND,
            field="input.backend",
            status_code=422,
        )
    if variant is None:
        variant = variants[0]
    if variant not in variants:
        raise ServiceError(
            f"Model variant {variant!r} of backend {backend!r} is not deployed here; deployed: {variants}.",
            type=ErrorType.UNKNOWN_MODEL_VARIANT,
            field="input.model_variant",
            status_code=422,
        )
    return backend_key(backend, variant)


def concept_route(
    routes: Mapping[str, list[str]], concept: str | None, planned_by: str, chosen: bool
) -> list[str] | None:
    """The backend keys a concept route gives this job, or None to keep ``planned_by``.

    One key: that backend serves the job. Several: each separates it and the
    service averages their estimates (an ensemble). A client's own choice
    (``chosen``: it named a backend or a variant) is never overridden.
    """
    if chosen or concept is None:
        return None
    routed = routes.get(concept)
    return routed if routed and routed != [planned_by] else None


def by_concept(routes: Mapping[str, Route]) -> dict[str, Route]:
    """Routes keyed by concept or family, as one route per concept: its own, else its family's."""
    return {
        c.name: routes[c.name] if c.name in routes else routes[c.family]
        for c in BY_NAME.values()
        if c.name in routes or c.family in routes
    }


def resolved_routes(
    routes: Mapping[str, list[str]], routes_without_spans: Mapping[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """One route per concept for jobs with span hints, and one for jobs without (where the second
    table's entries, a concept's own or its family's, replace the first's)."""
    marked = by_concept(routes)
    return marked, {**marked, **by_concept(routes_without_spans)}


def _listing(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {variant}" for name, variant in pairs)
