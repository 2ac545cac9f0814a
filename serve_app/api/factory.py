"""Builds the FastAPI application: routes, auth, and one error envelope."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from serve_app import __version__
from serve_app.api import backends, files, health, openapi, playground, queue, stream, webhooks
from serve_app.api.auth import BearerAuthMiddleware
from serve_app.api.body_limit import BodyLimitMiddleware
from serve_app.api.deps import known_query_only
from serve_app.api.problems import validation_problem
from serve_app.context import ServiceContext
from serve_app.contract.schemas import ErrorEnvelope
from serve_app.errors import ErrorType, ServiceError, StorageUnavailable, dependency_error
from serve_app.jobs.planning import Planner
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.store.connection import UNAVAILABLE

log = logging.getLogger(__name__)

DESCRIPTION = """
Separate one sound out of a recording from a text prompt.

Submit a job with `POST /v1/queue/audio/separate`, follow it with `status_url`
(the durable wait path) or `stream_url`, and download the `target` and
`residual` tracks from `result_url`. Every `/v1` route needs
`Authorization: Bearer <api key>`.
"""


def _envelope(error: ServiceError) -> JSONResponse:
    """Every error response: ``{"error": {type, message, field?, details?}}``."""
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else {}
    if error.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": error.to_dict()}, status_code=error.status_code, headers=headers or None)


# What each framework HTTP error means for the client, and the part of the request at fault.
_HTTP_ERRORS: dict[int, tuple[ErrorType, str | None, str | None]] = {
    400: (ErrorType.MALFORMED_REQUEST, None, None),
    404: (ErrorType.NOT_FOUND, "path", "There is no such route; see /docs for the API's routes."),
    405: (ErrorType.METHOD_NOT_ALLOWED, "method", None),
    413: (ErrorType.PAYLOAD_TOO_LARGE, "body", None),
    415: (ErrorType.UNSUPPORTED_MEDIA_TYPE, "Content-Type", None),
}


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
    # Swagger UI and ReDoc from files inside the fastapi-offline package: no CDN.
    api = FastAPIOffline(
        title="AudioLasso",
        version=__version__,
        description=DESCRIPTION,
        # operationIds are the route functions' names (submit, status, upload, ...), for client
        # generators and the OpenAPI links (serve_app/api/openapi.py).
        generate_unique_id_function=lambda route: route.name,
        dependencies=[Depends(known_query_only)],
        responses={
            400: {"model": ErrorEnvelope, "description": "The body could not be parsed."},
            401: {"model": ErrorEnvelope, "description": "Missing or invalid API key."},
            413: {"model": ErrorEnvelope, "description": "The request body is too large."},
            422: {"model": ErrorEnvelope, "description": "Invalid input; the error names the field."},
            503: {
                "model": ErrorEnvelope,
                "description": "Redis or storage is unavailable for now; retry after Retry-After "
                "(a submit or upload with an Idempotency-Key, safely).",
            },
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
    api.add_middleware(BearerAuthMiddleware, on_error=_envelope, unavailable=dependency_error)
    api.include_router(queue.router)
    api.include_router(stream.router)
    api.include_router(webhooks.router)
    api.webhooks.include_router(webhooks.outgoing)
    api.include_router(files.router)
    api.include_router(backends.router)
    api.include_router(health.router)
    api.include_router(playground.router)
    api.mount(playground.PATH, playground.playground_files(), name="playground")

    @api.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        return _envelope(exc)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        return _envelope(validation_problem(exc.errors(), exc.body, request.headers.get("content-type", "")))

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        kind, field, message = _HTTP_ERRORS.get(exc.status_code, (ErrorType.HTTP_ERROR, None, None))
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            message = f"{request.method} is not allowed here; use {allowed}."
        error = ServiceError(message or str(exc.detail), type=kind, field=field, status_code=exc.status_code)
        response = _envelope(error)
        if exc.status_code == 405:
            response.headers["Allow"] = allowed
        return response

    def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _envelope(
            ServiceError(
                "The service failed unexpectedly; retry later.",
                type=ErrorType.INTERNAL_ERROR,
                status_code=500,
                retryable=True,
            )
        )

    async def _dependency_error(request: Request, exc: Exception):
        """Redis away or storage full: 503 with Retry-After, not a 500."""
        error = dependency_error(exc)
        if error is None:
            return _internal(request, exc)
        log.warning("%s %s: %s (%r)", request.method, request.url.path, error.message, exc)
        return _envelope(error)

    for kind in (*UNAVAILABLE, StorageUnavailable, OSError):
        api.add_exception_handler(kind, _dependency_error)

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _internal(request, exc)

    generate = api.openapi

    def complete_openapi() -> dict:
        if api.openapi_schema is None:
            api.openapi_schema = openapi.complete(generate())
        return api.openapi_schema

    api.openapi = complete_openapi  # type: ignore[method-assign]

    return api
