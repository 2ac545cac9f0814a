"""The loop shared by the job worker and the webhook sender: claim an item
of work from Redis, handle up to ``concurrency`` at once, until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class ClaimLoop(Generic[Item]):
    def __init__(
        self,
        what: str,
        claim: Callable[[], Awaitable[Item | None]],
        wait_for_work: Callable[[], Awaitable[None]],
        handle: Callable[[Item], Coroutine[Any, Any, None]],
        key: Callable[[Item], str],
        concurrency: int,
    ):
        self.what = what
        self.claim, self.wait_for_work, self.handle, self.key = claim, wait_for_work, handle, key
        self.concurrency = concurrency
        self.running: dict[str, asyncio.Task] = {}  # by key, while being handled
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Claim and handle items until :meth:`stop`; then let running ones finish."""
        slots = asyncio.Semaphore(self.concurrency)
        while not self._stopping.is_set():
            await slots.acquire()
            try:
                item = await self.claim()
            except Exception:
                log.exception("claiming a %s failed; retrying", self.what)
                item = None
                await asyncio.sleep(1.0)
            if item is None:
                slots.release()
                await self.wait_for_work()
                continue
            key = self.key(item)
            task = asyncio.create_task(self.handle(item))
            self.running[key] = task

            def done(_task: asyncio.Task, key: str = key) -> None:
                self.running.pop(key, None)
                slots.release()

            task.add_done_callback(done)
        await asyncio.gather(*self.running.values(), return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()
