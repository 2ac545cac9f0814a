"""How the worker reaches a backend: through a Serve deployment handle in the
service, or in-process (tests, the `audiolasso worker` command)."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import numpy as np

from serve_app.backend import Backend, BackendInfo, SeparationItem, SpanHint, UnsupportedPrompt


class SeparatorClient(Protocol):
    async def info(self) -> BackendInfo: ...

    async def interpret(self, prompt: str, spans: list[SpanHint]) -> dict[str, Any]: ...

    async def separate(self, item: SeparationItem) -> np.ndarray: ...


class HandleSeparator:
    """A Separator deployment, called through its handle (batches form there)."""

    def __init__(self, handle):
        self.handle = handle
        self._info: BackendInfo | None = None

    async def info(self) -> BackendInfo:
        if self._info is None:
            self._info = BackendInfo.model_validate(await self.handle.info.remote())
        return self._info

    async def interpret(self, prompt: str, spans: list[SpanHint]) -> dict[str, Any]:
        # Exceptions lose their type crossing Ray, so the replica answers with a tagged dict.
        answer = await self.handle.interpret.remote(prompt, [s.model_dump() for s in spans])
        if "unsupported" in answer:
            raise UnsupportedPrompt(answer["unsupported"])
        return answer["plan"]

    async def separate(self, item: SeparationItem) -> np.ndarray:
        return await self.handle.separate.remote(item)


class LocalSeparator:
    """A loaded backend in this process; one chunk at a time, off the event loop."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self._lock = asyncio.Lock()

    async def info(self) -> BackendInfo:
        return self.backend.info

    async def interpret(self, prompt: str, spans: list[SpanHint]) -> dict[str, Any]:
        return self.backend.interpret(prompt, spans)

    async def separate(self, item: SeparationItem) -> np.ndarray:
        async with self._lock:
            return (await asyncio.to_thread(self.backend.separate, [item]))[0]
