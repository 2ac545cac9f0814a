"""Separator: one deployment per configured backend, batching chunks from
concurrent jobs into one ``backend.separate`` call with ``@serve.batch``."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import numpy as np
from ray import serve
from ray.serve.metrics import Histogram

from serve_app.backend import BackendInfo, Plan, SeparationItem, SpanHint
from serve_app.jobs.separator_client import BackendStatus
from serve_app.registry import get_backend
from serve_app.routing import backend_key

log = logging.getLogger(__name__)


def pick_device(requested: str | None) -> str:
    if requested:
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


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
        self.batch_sizes: Counter[int] = Counter()
        self.batch_config: dict[str, Any] = {}
        self._batch_metric = Histogram(
            "audiolasso_separator_batch_size",
            description="Chunks per backend.separate call.",
            boundaries=[1, 2, 4, 8, 16, 32, 64],
            tag_keys=("backend",),
        )
        self._batch_metric.set_default_tags({"backend": self.key})
        if self.load_error is None:
            log.info("Separator %s loaded on %s", self.key, self.device)

    def reconfigure(self, config: dict[str, Any]) -> None:
        """Batch settings from the Serve config's user_config; no restart needed."""
        self.batch_config = dict(config)
        if "max_batch_size" in config:
            self._separate_batch.set_max_batch_size(int(config["max_batch_size"]))
        if "batch_wait_timeout_s" in config:
            self._separate_batch.set_batch_wait_timeout_s(float(config["batch_wait_timeout_s"]))

    # Replies are the contract's own models: Ray carries them as they are.
    async def info(self) -> BackendInfo:
        return self.backend.info

    async def status(self) -> BackendStatus:
        return BackendStatus(available=self.load_error is None, error=self.load_error, device=self.device)

    async def prepare(self, audio: np.ndarray, sample_rate: int, plan: Plan, spans: list[SpanHint]) -> Plan:
        """The backend's once-per-job step on the whole mixture (see ``Backend.prepare``)."""
        return await asyncio.to_thread(self.backend.prepare, audio, sample_rate, plan, spans)

    async def stats(self) -> dict[str, Any]:
        """Batch sizes formed so far (for benchmarks and operators)."""
        return {"batch_sizes": dict(self.batch_sizes), "device": self.device, "batch_config": self.batch_config}

    async def separate(self, item: SeparationItem) -> np.ndarray:
        return await self._separate_batch(item)

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.02)
    async def _separate_batch(self, items: list[SeparationItem]) -> list[np.ndarray]:
        self.batch_sizes[len(items)] += 1
        self._batch_metric.observe(len(items))
        # The backend is synchronous; a thread keeps this replica's event loop free.
        return await asyncio.to_thread(self.backend.separate, items)
