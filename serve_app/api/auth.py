"""Bearer-key authentication for every /v1 route, checked before the request
body is read, so an anonymous client cannot make the service parse uploads."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from serve_app.errors import ServiceError, Unauthorized

PROTECTED_PREFIX = "/v1/"
# The one route a signed link (serve_app/access/signed_urls.py) may open without a key.
_SIGNED_ROUTE = re.compile(r"^/v1/files/([^/]+)/content$")


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class BearerAuthMiddleware:
    """Puts the caller's key id in ``request.state.owner`` (or, for a valid
    signed download link, the file id in ``request.state.signed_file``), or answers 401."""

    def __init__(self, app: ASGIApp, on_error, unavailable):
        self.app = app
        self.on_error = on_error  # renders a ServiceError as the API's error envelope
        self.unavailable = unavailable  # a dependency failure as a ServiceError (503), else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            await self._authenticate(scope)
        except ServiceError as error:
            await self.on_error(error)(scope, receive, send)
            return
        except Exception as exc:
            if (answer := self.unavailable(exc)) is None:
                raise
            await self.on_error(answer)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> None:
        """Puts the caller in the scope's state; raises Unauthorized."""
        ctx = scope["app"].state.ctx
        signed = _SIGNED_ROUTE.match(scope["path"])
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if signed and "signature" in query and scope["method"] in ("GET", "HEAD"):
            signer = await ctx.signing.signer()
            if not signer.verify(signed[1], query.get("expires", [""])[0], query["signature"][0]):
                raise Unauthorized(
                    "The signed link is invalid or has expired; get a fresh one from the API.", field="signature"
                )
            scope.setdefault("state", {})["signed_file"] = signed[1]
            return
        token = _bearer_token(scope)
        owner = await ctx.api_keys.authenticate(token) if token is not None else None
        if owner is None:
            raise Unauthorized(
                "Send your API key as 'Authorization: Bearer <key>'."
                if token is None
                else "The API key is not valid; create one with `audiolasso keys create`.",
                field="Authorization",
            )
        scope.setdefault("state", {})["owner"] = owner
