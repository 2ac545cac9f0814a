"""FastAPI dependencies: the service context and the caller's API key."""

from __future__ import annotations

import ipaddress

from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serve_app.access import idempotency
from serve_app.context import ServiceContext
from serve_app.errors import ErrorType, ServiceError

bearer = HTTPBearer(auto_error=False, description="An AudioLasso API key.")


async def get_ctx(request: Request) -> ServiceContext:
    # async: a sync dependency would be run on a thread pool for every request.
    return request.app.state.ctx


async def get_owner(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """The key id of the caller, checked by BearerAuthMiddleware before the body
    was read. (The HTTPBearer dependency documents the scheme in OpenAPI.)"""
    return request.state.owner


def base_url(request: Request, ctx: ServiceContext) -> str:
    """The base of every link the API returns: the configured public URL; else, from a
    trusted proxy, the address it says the client used; else the address this server
    listens on. Never the Host header, which any client can set."""
    settings = ctx.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = request.scope.get("scheme", "http")
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    netloc = host if (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    client = request.client.host if request.client else None
    if client and _trusted(client, settings.trusted_proxies):
        scheme = _first(request.headers.get("x-forwarded-proto")) or scheme
        netloc = _first(request.headers.get("x-forwarded-host")) or netloc
    return f"{scheme}://{netloc}"


def _first(header: str | None) -> str | None:
    """The first of a comma-separated forwarded header's values (the client's end)."""
    if not header:
        return None
    return header.split(",")[0].strip() or None


def _trusted(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


async def known_query_only(request: Request) -> None:
    """Refuse query parameters the route does not take: a misspelt filter
    (``?stauts=FAILED``) must not silently list everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:  # most requests carry none: nothing to walk
        return
    allowed = _query_names(dependant)
    for name in request.query_params:
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            raise ServiceError(
                f"{name!r} is not a query parameter of this route (it takes: {takes}).",
                type=ErrorType.INVALID_REQUEST,
                field=name,
                status_code=422,
            )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def idempotency_key_header(answers_with: str):
    """The ``Idempotency-Key`` header of a route that creates something; ``answers_with``
    says what a retry gets back."""
    return Header(
        None,
        alias=idempotency.HEADER,
        pattern=idempotency.KEY_PATTERN,
        description="Any unique string (a UUID) to make retries safe: the same key with the same request "
        f"within 24 hours answers with {answers_with} instead of creating another.",
    )
