"""Request body size limits, enforced on the bytes received (a missing or
lying Content-Length does not help): JSON bodies are small; uploads may be
as large as the upload limit plus multipart overhead."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD = 1 << 20


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.upload_limit if multipart else self.json_limit
        too_large = HTTPException(413, f"The request body is larger than the {limit} byte limit.")
        declared = headers.get(b"content-length", b"")
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException passes through FastAPI's body parsing
                    # unchanged and becomes a 413 error envelope.
                    raise too_large
            return message

        await self.app(scope, counting_receive, send)
