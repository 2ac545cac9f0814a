"""The loop shared by the job worker and the webhook sender: claim an item
of work from Redis, handle up to ``concurrency`` at once, until stopped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from serve_app.store.connection import UNAVAILABLE, Backoff

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
        """Claim and handle items until :meth:`stop`; then let running ones finish. While
        Redis is away the loop waits with backoff and resumes on its own."""
        slots = asyncio.Semaphore(self.concurrency)
        backoff = Backoff(f"{self.what} loop")
        while not self._stopping.is_set():
            await slots.acquire()
            if self._stopping.is_set():  # stopped while every slot was busy: claim nothing more
                slots.release()
                break
            item = await self._redis_step(self.claim, backoff)
            if item is None:
                slots.release()
                await self._redis_step(self.wait_for_work, backoff)
                continue
            key = self.key(item)
            task = asyncio.create_task(self.handle(item))
            self.running[key] = task

            def done(_task: asyncio.Task, key: str = key) -> None:
                self.running.pop(key, None)
                slots.release()

            task.add_done_callback(done)
        await asyncio.gather(*self.running.values(), return_exceptions=True)

    async def _redis_step(self, call: Callable[[], Awaitable[Any]], backoff: Backoff) -> Any:
        """``call()``'s answer, or None after a failure (waited out with backoff)."""
        try:
            out = await call()
        except UNAVAILABLE as exc:
            await backoff.failed(exc)
            return None
        except Exception:
            log.exception("%s loop: a Redis step failed; retrying", self.what)
            await asyncio.sleep(1.0)
            return None
        backoff.succeeded()
        return out

    def stop(self) -> None:
        self._stopping.set()
