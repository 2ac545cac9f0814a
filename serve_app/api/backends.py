"""GET /v1/backends, and the checks a submit makes against what is deployed.

The API learns about backends only through their Separator clients: their
(static) info says what each can do, their status whether it loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from serve_app.api.deps import get_ctx, get_owner
from serve_app.backend import Capabilities
from serve_app.context import ServiceContext
from serve_app.errors import ErrorType, ServiceError
from serve_app.jobs.separator_client import SeparatorClient
from serve_app.routing import FAMILIES, resolved_routes, split_key
from serve_app.understanding.catalog import BY_NAME

router = APIRouter(prefix="/v1", tags=["backends"])


class BackendView(BaseModel):
    """One deployed backend variant."""

    backend: str = Field(description="Value for the input field `backend`.")
    model_variant: str = Field(description="Value for the input field `model_variant`.")
    default: bool = Field(description="Serves requests that name neither backend nor model_variant.")
    available: bool = Field(description="false: it failed to load; its jobs fail with `backend_unavailable`.")
    error: str | None = Field(None, description="Why it is unavailable.")
    starting: bool = Field(
        False,
        description="No replica is running yet (scaled to zero when idle, or starting): jobs for it wait "
        "in the queue while one starts.",
    )
    capabilities: Capabilities
    sample_rate: int = Field(description="Audio is resampled to this rate for the model.")
    chunk_seconds: float = Field(description="Long audio is separated in windows of this length...")
    overlap_seconds: float = Field(description="...overlapping by this much, and crossfaded.")


class SoundRoute(BaseModel):
    """The backend keys that serve a request for one sound, naming no backend (several: each
    separates it and their estimates are averaged)."""

    with_spans: list[str] = Field(description="For a request with span hints.")
    without_spans: list[str] = Field(description="For a request without them.")


class BackendsResponse(BaseModel):
    """What this deployment serves."""

    backends: list[BackendView]
    visual_prompting: bool = Field(description="Whether any deployed backend accepts video_url and mask_url.")
    routes: dict[str, list[str]] = Field(
        {},
        description="Concept routes: a request that names no backend and asks for one of these sounds "
        "(as the default backend reads the prompt), or a sound of one of these families "
        f"({', '.join(FAMILIES)}), is served by the backend keys given here; with several, each separates "
        "it and their estimates are averaged. A sound's own route comes before its family's.",
    )
    routes_without_spans: dict[str, list[str]] = Field(
        {},
        description="The same for requests without span hints, where they differ: for such requests these "
        "override the routes above, sound by sound (a family here, all its sounds'; a sound's own entry "
        "here first).",
    )
    served_by: dict[str, SoundRoute] = Field(
        {},
        description="Every sound the prompt reader knows (the `concept` of a result's `interpretation`), "
        "and what serves a request for it that names no backend: the routes above resolved, the default "
        "backend where none applies.",
    )


async def get_separators(request: Request) -> Mapping[str, SeparatorClient]:
    return request.app.state.separators


async def visual_keys(separators: Mapping[str, SeparatorClient]) -> list[str]:
    infos = await asyncio.gather(*(client.info() for client in separators.values()))
    return [key for key, info in zip(separators, infos, strict=True) if info.capabilities.visual]


async def require_visual(key: str, separators: Mapping[str, SeparatorClient]) -> None:
    """A 422 unless the backend chosen for a request with a visual prompt accepts one."""
    visual = await visual_keys(separators)
    if not visual:
        raise ServiceError(
            "Visual prompting is not enabled on this deployment: no deployed backend accepts video_url and mask_url.",
            type=ErrorType.VISUAL_PROMPTING_DISABLED,
            field="input.video_url",
            status_code=422,
        )
    if key not in visual:
        choices = ", ".join(f"backend {n} model_variant {v}" for n, v in map(split_key, visual))
        raise ServiceError(
            f"{key} does not accept visual prompts; choose one that does: {choices}.",
            type=ErrorType.VISUAL_PROMPTING_UNSUPPORTED,
            field="input.video_url",
            status_code=422,
        )


@router.get("/backends", response_model=BackendsResponse, summary="Deployed backends and their availability")
async def list_backends(
    _owner: str = Depends(get_owner),
    ctx: ServiceContext = Depends(get_ctx),
    separators: Mapping[str, SeparatorClient] = Depends(get_separators),
) -> BackendsResponse:
    """Every deployed backend variant, in the order requests default to them."""
    keys = list(ctx.backends)
    infos, statuses = await asyncio.gather(
        asyncio.gather(*(separators[k].info() for k in keys)),
        asyncio.gather(*(separators[k].status() for k in keys)),
    )
    views = [
        BackendView(
            backend=split_key(key)[0],
            model_variant=split_key(key)[1],
            default=i == 0,
            available=status.available,
            error=status.error,
            starting=status.starting,
            capabilities=info.capabilities,
            sample_rate=info.sample_rate,
            chunk_seconds=info.chunk_seconds,
            overlap_seconds=info.overlap_seconds,
        )
        for i, (key, info, status) in enumerate(zip(keys, infos, statuses, strict=True))
    ]
    marked, unmarked = resolved_routes(ctx.routes, ctx.routes_without_spans)
    default = [keys[0]]
    return BackendsResponse(
        backends=views,
        visual_prompting=any(v.capabilities.visual for v in views),
        routes=ctx.routes,
        routes_without_spans=ctx.routes_without_spans,
        served_by={
            concept: SoundRoute(with_spans=marked.get(concept, default), without_spans=unmarked.get(concept, default))
            for concept in sorted(BY_NAME)
        },
    )
