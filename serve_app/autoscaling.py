"""Autoscaling on the work waiting in Redis, with Ray Serve's own custom autoscaling policies.

Serve's default policy counts requests in flight. Jobs wait in Redis, and the QueueWorker caps
the chunks it sends, so a backlog of hours of audio would look to Serve like a few requests.
So replicas report the backlog (``record_autoscaling_stats`` on the QueueWorker and each
Separator, read from Redis), and the policies below, named in the Serve config's
``autoscaling_config.policy``, turn it into a replica count. Serve applies the rest as for any
policy: min/max replicas, upscale/downscale delays, scaling factors, and the cold start of a
deployment at zero replicas when a request reaches it (how a GPU Separator scaled to zero comes
back: the job's first chunk). Every replica reads the same Redis, so the backlog is the
largest any replica reported (the freshest), not their sum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Names of the metrics replicas record (record_autoscaling_stats) and policies read.
QUEUED_JOBS = "queued_jobs"  # jobs waiting in the queue (all backends)
RUNNING_JOBS = "running_jobs"  # jobs this QueueWorker replica is running
QUEUED_AUDIO_S = "queued_audio_s"  # seconds of queued audio this Separator's backend will separate


def backlog_of(queued_audio_s: Mapping[str, float], key: str) -> float:
    """Seconds of queued audio that backend ``key`` will separate: the jobs it serves alone and
    those it serves in an ensemble (``dsp+learned``), from the queue's per-serving totals."""
    return sum(seconds for serving, seconds in queued_audio_s.items() if key in serving.split("+"))


def _reported(ctx: Any, name: str) -> list[float]:
    """Every running replica's latest value of one recorded metric."""
    return [float(v) for v in ((ctx.aggregated_metrics or {}).get(name) or {}).values()]


class QueueWorkerPolicy:
    """Replicas = (queued + running jobs) / ``jobs_per_replica`` (Serve bounds and smooths it)."""

    def __init__(self, jobs_per_replica: float = 8.0):
        if jobs_per_replica <= 0:
            raise ValueError("jobs_per_replica must be positive")
        self.jobs_per_replica = jobs_per_replica

    def __call__(self, ctx: Any) -> tuple[float, dict[str, Any]]:
        queued = max(_reported(ctx, QUEUED_JOBS), default=0.0)
        running = sum(_reported(ctx, RUNNING_JOBS))
        return math.ceil((queued + running) / self.jobs_per_replica), {}


class SeparatorPolicy:
    """Replicas = the larger of the backlog (queued audio / ``queued_audio_s_per_replica``) and
    Serve's own count for the chunks in flight (ongoing requests / target_ongoing_requests), so a
    backlog scales up before its chunks arrive and a deployment with nothing queued or in flight
    may go to zero (with min_replicas: 0)."""

    def __init__(self, queued_audio_s_per_replica: float = 600.0):
        if queued_audio_s_per_replica <= 0:
            raise ValueError("queued_audio_s_per_replica must be positive")
        self.per_replica = queued_audio_s_per_replica

    def __call__(self, ctx: Any) -> tuple[float, dict[str, Any]]:
        backlog = max(_reported(ctx, QUEUED_AUDIO_S), default=0.0)
        in_flight = ctx.total_num_requests / ctx.config.get_target_ongoing_requests()
        return math.ceil(max(backlog / self.per_replica, in_flight)), {}
