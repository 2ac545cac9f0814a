"""Bearer-key authentication for every /v1 route, checked before the request
body is read, so an anonymous client cannot make the service parse uploads."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from serve_app.errors import Unauthorized

PROTECTED_PREFIX = "/v1/"


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class BearerAuthMiddleware:
    """Puts the caller's key id in ``request.state.owner`` or answers 401."""

    def __init__(self, app: ASGIApp, on_error):
        self.app = app
        self.on_error = on_error  # renders a ServiceError as the API's error envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        owner = None
        if token is not None:
            owner = await scope["app"].state.ctx.api_keys.authenticate(token)
        if owner is None:
            error = Unauthorized(
                "Send your API key as 'Authorization: Bearer <key>'."
                if token is None
                else "The API key is not valid; create one with `audiolasso keys create`."
            )
            await self.on_error(error)(scope, receive, send)
            return
        scope.setdefault("state", {})["owner"] = owner
        await self.app(scope, receive, send)
