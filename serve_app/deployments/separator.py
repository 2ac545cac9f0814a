"""Separator: one deployment per configured backend, batching chunks from
concurrent jobs into one ``backend.separate`` call with ``@serve.batch``.

The Serve config's ``user_config`` sets ``max_batch_size``, ``batch_wait_timeout_s``
and ``max_concurrent_batches``: a GPU backend batches chunks into one forward
pass, one batch at a time; a CPU backend whose chunks are separated one by one
(dsp) runs several batches of one at once instead, each on a thread of its own,
so a replica uses as many cores as it runs batches (bench/README.md 3).

A batch holds chunks of other users' jobs, so a failure is kept to the chunk
that caused it:

- an exception for a batch is retried item by item, and each item that still
  fails gets its own exception (its job fails, typed ``separation_failed``);
- out of memory (CUDA's, or the host's) halves the batch and retries, down to
  one item; one item that does not fit alone fails its job only;
- a device error (a CUDA error other than out of memory: an illegal access, a
  device-side assert) leaves the device unusable: the replica answers every
  chunk with a retryable error and fails ``check_health``, so Serve replaces it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from typing import Any

import numpy as np
import ray
from ray import serve
from ray.serve.metrics import Counter as MetricCounter
from ray.serve.metrics import Histogram

from serve_app.autoscaling import QUEUED_AUDIO_S, backlog_of
from serve_app.backend import BackendInfo, Plan, SeparationItem, SpanHint
from serve_app.config import get_settings
from serve_app.errors import SeparationFailed, SeparationInterrupted, ServiceError
from serve_app.jobs.separator_client import BackendStatus
from serve_app.jobs.store import JobStore
from serve_app.registry import get_backend
from serve_app.routing import backend_key
from serve_app.store.connection import UNAVAILABLE, connect
from serve_app.store.keys import RedisKeys

log = logging.getLogger(__name__)

# What a CUDA error that poisons the context says (torch raises them as RuntimeError
# or, from 2.8, torch.AcceleratorError); "out of memory" is recoverable and not one.
_DEVICE_ERRORS = ("cuda error", "device-side assert", "illegal memory access", "cublas_status", "cudnn_status")

Outcome = np.ndarray | ServiceError

# Until the config's user_config arrives (``reconfigure``), which may change any of them.
DEFAULT_BATCHING: dict[str, Any] = {"max_batch_size": 8, "batch_wait_timeout_s": 0.02, "max_concurrent_batches": 1}


def pick_device(requested: str | None) -> str:
    """The config's device, else cuda where Ray gave this replica a GPU (its deployment asked
    for one), else the cpu: a CPU replica never imports torch to find out."""
    if requested:
        return requested
    return "cuda" if ray.is_initialized() and ray.get_gpu_ids() else "cpu"


def is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc)


def is_device_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}".lower()
    return not is_out_of_memory(exc) and (
        type(exc).__name__ == "AcceleratorError" or any(marker in text for marker in _DEVICE_ERRORS)
    )


@serve.deployment(name="Separator", max_ongoing_requests=64)
class Separator:
    def __init__(
        self, backend: str, variant: str = "default", options: dict[str, Any] | None = None, device: str | None = None
    ):
        cls = get_backend(backend)
        self.key = backend_key(backend, variant)
        self.backend = cls(variant, options)
        self.device = pick_device(device)
        self.load_error: str | None = None
        try:
            self.backend.load(self.device)
        except Exception as exc:
            # Stay up, answering "unavailable": a replica that raised here would
            # fail the whole application's deploy, taking every other backend down.
            self.load_error = f"Backend {self.key} failed to load: {exc}"
            log.exception("Separator %s failed to load on %s; its jobs will fail", self.key, self.device)
        self.device_error: str | None = None  # set once the device is unusable (check_health fails)
        self.batch_sizes: Counter[int] = Counter()
        self._separate_batch = self._batcher(DEFAULT_BATCHING)
        self.failures: Counter[str] = Counter()  # isolated_batches, failed_items, oom_splits, oom_items
        self.batch_config: dict[str, Any] = {}
        self._running = 0
        self._jobs: JobStore | None = None  # reads the backlog, on the first autoscaling report
        self._lock = threading.Lock()
        self._batch_metric = Histogram(
            "audiolasso_separator_batch_size",
            description="Chunks per backend.separate call.",
            boundaries=[1, 2, 4, 8, 16, 32, 64],
            tag_keys=("backend",),
        )
        self._batch_metric.set_default_tags({"backend": self.key})
        self._failure_metric = MetricCounter(
            "audiolasso_separator_failures",
            description="Batches retried item by item, items failed, and out-of-memory splits.",
            tag_keys=("backend", "kind"),
        )
        self._failure_metric.set_default_tags({"backend": self.key})
        if self.load_error is None:
            log.info("Separator %s loaded on %s", self.key, self.device)

    async def record_autoscaling_stats(self) -> dict[str, float]:
        """This backend's queued audio, which Serve scales Separators on (serve_app/autoscaling.py)."""
        if self._jobs is None:
            settings = get_settings()
            self._jobs = JobStore(connect(settings), RedisKeys(settings.redis_prefix))
        try:
            return {QUEUED_AUDIO_S: backlog_of(await self._jobs.queued_audio_s(), self.key)}
        except UNAVAILABLE:
            return {}  # Redis away: Serve scales on the chunks in flight alone

    def reconfigure(self, config: dict[str, Any]) -> None:
        """Batch settings from the Serve config's user_config; no restart needed."""
        before = {**DEFAULT_BATCHING, **self.batch_config}
        after = {**before, **config}
        if after["max_concurrent_batches"] != before["max_concurrent_batches"]:
            # Serve fixes this one when a batcher is made: a new one takes the next chunks
            # while the old one finishes those it holds.
            self._separate_batch = self._batcher(after)
        else:
            self._separate_batch.set_max_batch_size(int(after["max_batch_size"]))
            self._separate_batch.set_batch_wait_timeout_s(float(after["batch_wait_timeout_s"]))
        self.batch_config = dict(config)

    async def check_health(self) -> None:
        """Serve replaces a replica whose check fails: one whose device failed, or
        whose device does not answer a trivial operation while no batch runs (a
        hung device makes this time out, which Serve counts as a failure too)."""
        if self.device_error is not None:
            raise RuntimeError(f"Separator {self.key}: the device failed ({self.device_error})")
        if self.load_error is None and self._running == 0 and self.device.startswith("cuda"):
            try:
                await asyncio.to_thread(_probe_device, self.device)
            except Exception as exc:
                self._device_failed(exc)
                raise

    # Replies are the contract's own models: Ray carries them as they are.
    async def info(self) -> BackendInfo:
        return self.backend.info

    async def status(self) -> BackendStatus:
        error = self.load_error
        if error is None and self.device_error is not None:
            error = f"Backend {self.key}: the replica's device failed ({self.device_error}); it is being replaced"
        return BackendStatus(available=error is None, error=error, device=self.device)

    async def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        """The backend's once-per-job step on the whole mixture (see ``Backend.prepare``)."""
        return await asyncio.to_thread(self.backend.prepare, audio, sample_rate, plan, spans)

    async def stats(self) -> dict[str, Any]:
        """Batch sizes formed so far and failures kept to their items (for benchmarks and operators)."""
        return {
            "batch_sizes": dict(self.batch_sizes),
            "failures": dict(self.failures),
            "device": self.device,
            "device_error": self.device_error,
            "batch_config": self.batch_config,
        }

    async def separate(self, item: SeparationItem) -> np.ndarray:
        outcome = await self._separate_batch(item)
        if isinstance(outcome, BaseException):
            raise outcome  # this caller's job fails; the batch's other callers got their audio
        return outcome

    def _batcher(self, settings: dict[str, Any]) -> Any:
        return serve.batch(
            max_batch_size=int(settings["max_batch_size"]),
            batch_wait_timeout_s=float(settings["batch_wait_timeout_s"]),
            max_concurrent_batches=int(settings["max_concurrent_batches"]),
        )(self._run_batch)

    async def _run_batch(self, items: list[SeparationItem]) -> list[Outcome]:
        self.batch_sizes[len(items)] += 1
        self._batch_metric.observe(len(items))
        # The backend is synchronous; a thread keeps this replica's event loop free.
        return await asyncio.to_thread(self._separate_isolated, items)

    def _separate_isolated(self, items: list[SeparationItem]) -> list[Outcome]:
        """One outcome per item: its estimate, or the error that fails its job only."""
        if self.device_error is not None:
            return [self._interrupted() for _ in items]
        with self._lock:
            self._running += 1
        try:
            outputs = self.backend.separate(items)
            if len(outputs) != len(items):
                raise RuntimeError(f"the backend returned {len(outputs)} estimates for {len(items)} chunks")
            return list(outputs)
        except Exception as exc:
            return self._recover(items, exc)
        finally:
            with self._lock:
                self._running -= 1

    def _recover(self, items: list[SeparationItem], exc: Exception) -> list[Outcome]:
        if is_device_failure(exc):
            self._device_failed(exc)
            return [self._interrupted() for _ in items]
        if is_out_of_memory(exc):
            _release_cached_memory(self.device)
            if len(items) == 1:
                self._count("oom_items")
                log.warning("Separator %s: one chunk does not fit in memory alone: %s", self.key, exc)
                return [
                    SeparationFailed(
                        f"A chunk of this job did not fit in the {self.key} backend's memory on its own "
                        f"({len(items[0].audio)} samples). Shorter audio, or a deployment with a smaller "
                        "chunk_seconds, can be separated."
                    )
                ]
            half = len(items) // 2
            self._count("oom_splits")
            log.warning(
                "Separator %s: out of memory on a batch of %d; retrying as %d + %d",
                self.key,
                len(items),
                half,
                len(items) - half,
            )
            return self._separate_isolated(items[:half]) + self._separate_isolated(items[half:])
        if len(items) > 1:
            self._count("isolated_batches")
            log.warning(
                "Separator %s: a batch of %d failed (%s: %s); retrying its chunks one by one",
                self.key,
                len(items),
                type(exc).__name__,
                exc,
            )
            return [outcome for item in items for outcome in self._separate_isolated([item])]
        self._count("failed_items")
        log.error("Separator %s: a chunk failed on its own", self.key, exc_info=exc)
        if isinstance(exc, ServiceError):
            return [exc]
        return [
            SeparationFailed(
                f"The {self.key} backend could not separate a chunk of this job ({type(exc).__name__}: {exc})."
            )
        ]

    def _device_failed(self, exc: BaseException) -> None:
        if self.device_error is None:
            log.error("Separator %s: device %s failed; reporting unhealthy", self.key, self.device, exc_info=exc)
        self.device_error = f"{type(exc).__name__}: {exc}"[:500]
        self._count("device_failures")

    def _interrupted(self) -> SeparationInterrupted:
        return SeparationInterrupted(
            f"The {self.key} replica's device failed while separating this job; it is being replaced, "
            "retry the request."
        )

    def _count(self, kind: str) -> None:
        self.failures[kind] += 1
        self._failure_metric.inc(tags={"kind": kind})


def _probe_device(device: str) -> None:
    import torch

    value = torch.ones(1, device=device).add_(1).item()  # launches a kernel and waits for it
    if value != 2.0:
        raise RuntimeError(f"the device computed 1 + 1 = {value}")


def _release_cached_memory(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.empty_cache()
