"""Builds the FastAPI application: routes, auth, and one error envelope."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from serve_app import __version__
from serve_app.api import backends, files, queue, stream, webhooks
from serve_app.api.auth import BearerAuthMiddleware
from serve_app.api.body_limit import BodyLimitMiddleware
from serve_app.context import ServiceContext
from serve_app.contract.schemas import ErrorEnvelope
from serve_app.errors import ServiceError
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import SeparatorClient

log = logging.getLogger(__name__)

DESCRIPTION = """
Separate one sound out of a recording from a text prompt.

Submit a job with `POST /v1/queue/audio/separate`, follow it with `status_url`
(the durable wait path) or `stream_url`, and download the `target` and
`residual` tracks from `result_url`. Every `/v1` route needs
`Authorization: Bearer <api key>`.
"""


def _envelope(
    status: int, type_: str, message: str, field: str | None = None, headers: dict | None = None, **extra
) -> JSONResponse:
    body = {"type": type_, "message": message, **extra}
    if field:
        body["field"] = field
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _field(loc: tuple) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def _allowed_methods(request: Request) -> str:
    """Every method any route offers for this path. Starlette's own Allow header
    names only the first route that matched the path, not e.g. GET and DELETE."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def create_api(ctx: ServiceContext, separators: Mapping[str, SeparatorClient], planner: Planner) -> FastAPI:
    """The API; ``separators`` (by key, as in ``ctx.backends``) tell it what each backend can
    do and whether it loaded; ``planner`` plans each submitted job."""
    api = FastAPI(
        title="AudioLasso",
        version=__version__,
        description=DESCRIPTION,
        responses={
            400: {"model": ErrorEnvelope, "description": "The body could not be parsed."},
            401: {"model": ErrorEnvelope, "description": "Missing or invalid API key."},
            413: {"model": ErrorEnvelope, "description": "The request body is too large."},
            422: {"model": ErrorEnvelope, "description": "Invalid input; the error names the field."},
        },
    )
    api.state.ctx = ctx
    api.state.separators = dict(separators)
    api.state.planner = planner
    # Added last runs first: authenticate, then read the body within its limit.
    api.add_middleware(
        BodyLimitMiddleware,
        json_limit=ctx.settings.max_json_body_bytes,
        upload_limit=ctx.settings.max_upload_bytes,
    )
    api.add_middleware(
        BearerAuthMiddleware, on_error=lambda exc: _envelope(exc.status_code, exc.type, exc.message, exc.field)
    )
    api.include_router(queue.router)
    api.include_router(stream.router)
    api.include_router(webhooks.router)
    api.webhooks.include_router(webhooks.outgoing)
    api.include_router(files.router)
    api.include_router(backends.router)

    @api.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        return _envelope(exc.status_code, exc.type, exc.message, exc.field, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
        details = [{"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in errors]
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        return _envelope(422, "invalid_request", message, _field(tuple(first.get("loc", ()))), details=details)

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        kinds = {400: "malformed_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return _envelope(exc.status_code, kinds.get(exc.status_code, "http_error"), str(exc.detail), headers=headers)

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _envelope(500, "internal_error", "The service failed unexpectedly; retry later.")

    @api.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"ok": True}

    return api
