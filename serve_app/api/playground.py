"""The web playground: static files shipped in the package (serve_app/playground/), served at
/playground/ with `/` leading there. No build step, nothing loaded from outside the service: the
Content-Security-Policy below lets the page reach only its own origin (and the blob: URLs it makes
of the user's chosen file)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

FILES = Path(__file__).resolve().parent.parent / "playground"
PATH = "/playground"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "media-src 'self' blob:; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse(f"{PATH}/")


class PlaygroundFiles(StaticFiles):
    """Static files with the page's security headers."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(SECURITY_HEADERS)
        return response


def playground_files() -> PlaygroundFiles:
    return PlaygroundFiles(directory=FILES, html=True)
