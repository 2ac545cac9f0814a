"""Fetching a job's visual prompt (``video_url`` + ``mask_url``), when it has one.

The files travel to the Separator as bytes inside each chunk's item, so a
Separator on another node needs no shared storage.
"""

from __future__ import annotations

from typing import Any

from serve_app.backend import VisualPrompt
from serve_app.config import Settings
from serve_app.files.store import FileStore
from serve_app.outbound.fetch import download


async def fetch_visual_prompt(
    job_input: dict[str, Any], files: FileStore, settings: Settings, stem: str
) -> VisualPrompt | None:
    if not job_input.get("video_url"):
        return None
    data: dict[str, bytes] = {}
    for role in ("video", "mask"):
        path = files.temp_path(f"{stem}.{role}")
        try:
            await download(job_input[f"{role}_url"], path, settings, field=f"input.{role}_url")
            data[role] = path.read_bytes()
        finally:
            path.unlink(missing_ok=True)
    return VisualPrompt(video=data["video"], mask=data["mask"])
