"""Per-key request rate limits, shared by every Ingress replica: the arithmetic.

A sliding-window estimate over two fixed one-minute counters in Redis: the
requests of the current minute plus the previous minute's, weighted by how
much of it is still inside the last 60 s. Unlike one fixed window it does not
forget a burst at the turn of the minute. The counting and the decision run in
Redis, in ``store/lua/lib/admit.lua`` (``serve_app.access.admission``); this
module is the model it follows (``estimated_count``, tested against it) and says
when a refused request may come back.
"""

from __future__ import annotations

import math

WINDOW_S = 60


def window_at(now: float) -> tuple[int, float]:
    """The one-minute window holding ``now`` (Unix seconds) and the fraction of it gone by."""
    window, elapsed = divmod(now / WINDOW_S, 1.0)
    return int(window), elapsed


def estimated_count(previous: int, current: int, elapsed: float) -> float:
    """Requests in the last minute; ``elapsed`` is the fraction of the current window gone by."""
    return previous * (1.0 - elapsed) + current


def retry_after_s(previous: int, current: int, elapsed: float, limit: int) -> int:
    """Whole seconds until one more request fits under ``limit``, if no other comes."""
    room = limit - 1  # what may be counted before the retried request
    if current <= room and previous > 0:
        # Within this window, once enough of the previous one has slid out.
        wait = 1.0 - (room - current) / previous - elapsed
    else:
        # In the next window, once enough of this one has slid out.
        wait = 1.0 - elapsed + max(0.0, 1.0 - room / current)
    return max(1, math.ceil(wait * WINDOW_S))
