"""FastAPI dependencies: the service context and the caller's API key."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serve_app.context import ServiceContext

bearer = HTTPBearer(auto_error=False, description="An AudioLasso API key.")


async def get_ctx(request: Request) -> ServiceContext:
    # async: a sync dependency would be run on a thread pool for every request.
    return request.app.state.ctx


async def get_owner(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    """The key id of the caller, checked by BearerAuthMiddleware before the body
    was read. (The HTTPBearer dependency documents the scheme in OpenAPI.)"""
    return request.state.owner


def base_url(request: Request, ctx: ServiceContext) -> str:
    return (ctx.settings.public_url or str(request.base_url)).rstrip("/")
