"""Admission: what a request must pass before it creates anything (a job, a file), in order:
its API key's rate limit for the action (``serve_app.access.ratelimit``; every admission
counts, refused or not), then the key's storage quota (results and uploads need room).

Both checks are one Lua function, ``store/lua/lib/admit.lua``. A submit runs it inside the
script that creates the job (``job_submit.lua``), so the checks cost the submit no round trip
of their own and the quota is read in the same step that creates the job. ``Admissions.admit``
runs it on its own (``admit.lua``): for uploads, and for a submit that stops before its
script, so that a request over a limit is told so, and counted, whatever else is wrong with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis

from serve_app.access.ratelimit import WINDOW_S, retry_after_s, window_at
from serve_app.errors import RateLimited, ServiceError
from serve_app.files.store import QuotaExceeded
from serve_app.store import scripts
from serve_app.store.keys import RedisKeys

Action = Literal["submit", "upload"]
# Admission.args' places in a script that admits nothing (job_submit.lua, admitted before).
NOT_ADMITTING: list[str | int] = [""] * 5


@dataclass(frozen=True)
class Admission:
    """One request's admission, as lib/admit.lua takes it (``keys`` and ``args``)."""

    action: Action
    owner: str
    per_minute: int
    quota_bytes: int  # 0: no quota
    elapsed: float  # the fraction of the current rate window gone by, at arrival
    keys: tuple[str, str, str]  # the previous and current window's counters, the storage-used hash

    @property
    def args(self) -> list[str | int]:
        # repr keeps every bit of the float, so Redis estimates with the very number Python has.
        return [self.owner, repr(self.elapsed), self.per_minute, 2 * WINDOW_S, self.quota_bytes]

    def refusal(self, reply: list[str | int]) -> ServiceError:
        """The error for a refusal lib/admit.lua returned: 429 with Retry-After, or 403."""
        if reply[0] == "rate_limited":
            previous, current = int(reply[1]), int(reply[2])
            wait = retry_after_s(previous, current, self.elapsed, self.per_minute)
            return RateLimited(
                f"Too many {self.action} requests: at most {self.per_minute} per minute per API key. "
                f"Retry in {wait} s.",
                retry_after_s=wait,
            )
        return QuotaExceeded(
            f"This API key's files fill its {self.quota_bytes} byte storage quota; delete files you no longer need "
            "(DELETE /v1/files/{id}, DELETE /v1/queue/requests/{id}) or wait for them to expire."
        )


class Admissions:
    """Makes each request's Admission, and runs one on its own (``admit.lua``)."""

    def __init__(self, redis: aioredis.Redis, keys: RedisKeys):
        self.keys = keys
        self._admit = scripts.register(redis, "admit")

    def admission(self, action: Action, owner: str, per_minute: int, quota_bytes: int) -> Admission:
        """The admission of a request arriving now (the rate window is this replica's clock)."""
        window, elapsed = window_at(time.time())
        k = self.keys
        counters = (k.rate(action, owner, window - 1), k.rate(action, owner, window))
        return Admission(action, owner, per_minute, quota_bytes, elapsed, (*counters, k.storage_used))

    async def admit(self, admission: Admission) -> None:
        """Run the admission on its own; raise its refusal (RateLimited, QuotaExceeded)."""
        reply = await self._admit(keys=list(admission.keys), args=admission.args)
        if reply is not None:
            raise admission.refusal(reply)
