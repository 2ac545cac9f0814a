"""FastAPI dependencies: the service context and the caller's API key."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serve_app.context import ServiceContext
from serve_app.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An AudioLasso API key.")


def get_ctx(request: Request) -> ServiceContext:
    return request.app.state.ctx


async def get_owner(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ctx: ServiceContext = Depends(get_ctx),
) -> str:
    """The key id of the caller; every /v1 route depends on it."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
    owner = await ctx.api_keys.authenticate(credentials.credentials)
    if owner is None:
        raise Unauthorized("The API key is not valid; create one with `audiolasso keys create`.")
    return owner


def base_url(request: Request, ctx: ServiceContext) -> str:
    return (ctx.settings.public_url or str(request.base_url)).rstrip("/")
