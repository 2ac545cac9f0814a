"""A Separator replica keeps a failure to the chunk that caused it: the real
``@serve.batch`` in-process, with the test plugin's ``flaky`` backend (a
poisoned word, an out-of-memory threshold). On real Serve: tests/serve."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from serve_app.backend import SeparationItem
from serve_app.deployments import separator as separator_module
from serve_app.deployments.separator import Separator, is_device_failure, is_out_of_memory
from serve_app.errors import ErrorType, SeparationFailed, SeparationInterrupted
from support.backends import plan_prompt

SR = 16_000


def replica(monkeypatch, **options) -> Separator:
    from ray.serve import batching

    from audiolasso_testplugin import FlakyBackend

    monkeypatch.setattr(separator_module, "get_backend", lambda name: FlakyBackend)
    # The one thing @serve.batch asks of a running replica: its max_ongoing_requests, for a warning.
    monkeypatch.setattr(batching._BatchQueue, "_warn_if_max_batch_size_exceeds_max_ongoing_requests", lambda self: None)
    return Separator.func_or_class("flaky", "default", options, "cpu")


def chunk(prompt: str, seed: int) -> SeparationItem:
    from audiolasso_testplugin import FlakyBackend

    audio = np.random.default_rng(seed).standard_normal(SR // 4).astype(np.float32)
    return SeparationItem(audio=audio, plan=plan_prompt(FlakyBackend(), prompt)[1])


async def separate_all(sep: Separator, items: list[SeparationItem]) -> list:
    # @serve.batch keeps one queue per process, on the loop it was first used on: these
    # tests share pytest-asyncio's session loop, and each sets the batch size it needs.
    sep.reconfigure({"max_batch_size": len(items), "batch_wait_timeout_s": 0.5})
    return await asyncio.gather(*(sep.separate(item) for item in items), return_exceptions=True)


async def test_a_poisoned_chunk_fails_alone_and_its_batch_mates_are_separated(monkeypatch):
    sep = replica(monkeypatch)
    items = [chunk("keep the low end", 1), chunk("keep the poisoned low end", 2), chunk("keep the bass", 3)]
    good, poisoned, other = await separate_all(sep, items)
    assert isinstance(good, np.ndarray) and isinstance(other, np.ndarray)
    assert good.shape == items[0].audio.shape
    assert isinstance(poisoned, SeparationFailed) and not poisoned.retryable
    assert poisoned.type == ErrorType.SEPARATION_FAILED and "poisoned chunk" in poisoned.message
    stats = await sep.stats()
    assert stats["batch_sizes"] == {3: 1}  # one batch formed; its chunks were then retried one by one
    assert stats["failures"] == {"isolated_batches": 1, "failed_items": 1}


async def test_batches_of_one_run_side_by_side_when_configured(monkeypatch):
    """max_concurrent_batches (a CPU backend's chunks each on a thread of their own), set
    through reconfigure like the other batch settings."""
    sep = replica(monkeypatch)
    both_running = threading.Barrier(2, timeout=10)

    def meet(batch):
        both_running.wait()  # returns only once the other chunk is being separated too
        return [item.audio for item in batch]

    sep.backend.separate = meet
    sep.reconfigure({"max_batch_size": 1, "batch_wait_timeout_s": 0.0, "max_concurrent_batches": 2})
    outcomes = await asyncio.gather(*(sep.separate(chunk("keep the low end", i)) for i in range(2)))
    assert all(isinstance(o, np.ndarray) for o in outcomes), outcomes
    assert (await sep.stats())["batch_sizes"] == {1: 2}


async def test_out_of_memory_halves_only_its_own_batch(monkeypatch):
    sep = replica(monkeypatch, oom_above_items=1)
    items = [chunk("keep the low end", i) for i in range(4)]
    outcomes = await separate_all(sep, items)
    assert all(isinstance(o, np.ndarray) for o in outcomes), outcomes
    stats = await sep.stats()
    assert stats["failures"] == {"oom_splits": 3}  # 4 -> 2 + 2 -> 1 + 1 + 1 + 1
    assert stats["device_error"] is None
    await sep.check_health()  # out of memory is not a broken device


async def test_a_chunk_too_large_on_its_own_fails_its_job_only(monkeypatch):
    sep = replica(monkeypatch, oom_above_items=0)
    (outcome,) = await separate_all(sep, [chunk("keep the low end", 0)])
    assert isinstance(outcome, SeparationFailed) and "did not fit" in outcome.message
    assert (await sep.stats())["failures"] == {"oom_items": 1}


async def test_a_device_failure_makes_the_replica_unhealthy(monkeypatch):
    sep = replica(monkeypatch)

    def broken(batch):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(sep.backend, "separate", broken)
    outcomes = await separate_all(sep, [chunk("keep the low end", 0), chunk("keep the bass", 1)])
    assert all(isinstance(o, SeparationInterrupted) and o.retryable for o in outcomes)
    with pytest.raises(RuntimeError, match="device failed"):
        await sep.check_health()
    status = await sep.status()
    assert status.available is False and "being replaced" in status.error


@pytest.mark.parametrize(
    "exc, oom, device",
    [
        (MemoryError(), True, False),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True, False),
        (RuntimeError("CUDA error: device-side assert triggered"), False, True),
        (ValueError("mask and video differ in size"), False, False),
    ],
)
def test_failures_are_told_apart(exc, oom, device):
    assert (is_out_of_memory(exc), is_device_failure(exc)) == (oom, device)
