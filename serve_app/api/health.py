"""Liveness and readiness.

``/healthz`` says the process serves HTTP (restart it if not); ``/readyz`` says it
can serve requests now: Redis answers and storage takes writes. Load balancers and
Kubernetes route by readiness, so a replica that cannot reach Redis gets no traffic
and is not restarted for it.
"""

from __future__ import annotations

import asyncio
import errno
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from serve_app.context import ServiceContext
from serve_app.errors import ServiceUnavailable, StorageUnavailable
from serve_app.store.connection import UNAVAILABLE

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz():
    return {"ok": True}


@router.get("/readyz")
async def readyz(request: Request):
    ctx: ServiceContext = request.app.state.ctx
    checks = {"redis": await _redis(ctx), "storage": await _storage(ctx)}
    if all(v == "ok" for v in checks.values()):
        return {"ready": True, "checks": checks}
    failed = ", ".join(k for k, v in checks.items() if v != "ok")
    error = ServiceUnavailable(f"Not ready: {failed} unavailable.")
    return JSONResponse(
        {"ready": False, "checks": checks, "error": error.to_dict()},
        status_code=503,
        headers={"Retry-After": str(error.retry_after_s)},
    )


async def _redis(ctx: ServiceContext) -> str:
    try:
        await ctx.redis.ping()
    except UNAVAILABLE as exc:
        return f"unavailable ({type(exc).__name__})"  # never the URL: it may hold a password
    return "ok"


async def _storage(ctx: ServiceContext) -> str:
    """The replica's temporary space takes writes, and so does the file store."""
    try:
        await asyncio.to_thread(_write_probe, ctx.files.temp_path(f"ready-{uuid.uuid4().hex}"))
        await ctx.files.blobs.check()
    except OSError as exc:
        return f"unavailable ({errno.errorcode.get(exc.errno or 0, type(exc).__name__)})"
    except StorageUnavailable as exc:
        return f"unavailable ({exc})"  # names the store's error code, never its address or credentials
    return "ok"


def _write_probe(path: Path) -> None:
    path.write_bytes(b"ok")
    path.unlink()
