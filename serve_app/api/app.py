"""Builds the FastAPI application: routes, auth, and one error envelope."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve_app import __version__
from serve_app.api import files, queue
from serve_app.context import ServiceContext
from serve_app.errors import ServiceError

log = logging.getLogger(__name__)

DESCRIPTION = """
Separate one sound out of a recording from a text prompt.

Submit a job with `POST /v1/queue/audio/separate`, follow it with `status_url`
(the durable wait path) or `stream_url`, and download the `target` and
`residual` tracks from `result_url`. Every `/v1` route needs
`Authorization: Bearer <api key>`.
"""


def _envelope(status: int, type_: str, message: str, field: str | None = None, **extra) -> JSONResponse:
    body = {"type": type_, "message": message, **extra}
    if field:
        body["field"] = field
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _field(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def create_api(ctx: ServiceContext) -> FastAPI:
    api = FastAPI(
        title="AudioLasso",
        version=__version__,
        description=DESCRIPTION,
        responses={
            401: {"description": "Missing or invalid API key."},
            422: {"description": "Invalid input; the error envelope names the field."},
        },
    )
    api.state.ctx = ctx
    api.include_router(queue.router)
    api.include_router(files.router)

    @api.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return _envelope(exc.status_code, exc.type, exc.message, exc.field)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
        details = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in errors]
        message = first.get("msg", "invalid request").removeprefix("Value error, ")
        return _envelope(422, "invalid_request", message, _field(first.get("loc", ())), details=details)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        kinds = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        return _envelope(exc.status_code, kinds.get(exc.status_code, "http_error"), str(exc.detail))

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _envelope(500, "internal_error", "The service failed unexpectedly; retry later.")

    @api.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"ok": True}

    return api
