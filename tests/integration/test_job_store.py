"""JobStore transitions against a real Redis: queue order and positions,
leases that expire and are claimed again, exactly one terminal state."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from serve_app import ids
from serve_app.clock import now_iso
from serve_app.jobs.record import JobStatus
from serve_app.jobs.store import JobStore
from serve_app.store.keys import RedisKeys


@pytest.fixture
async def store(settings):
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    yield JobStore(client, RedisKeys(settings.redis_prefix))
    await client.aclose()


async def submit(store: JobStore, owner: str = "key_a") -> str:
    request_id = ids.new_id("req")
    await store.submit(
        request_id=request_id,
        owner=owner,
        backend="dsp",
        input={"prompt": "the speaker"},
        plan={},
        webhook_url=None,
        warnings=[],
        created_at=now_iso(),
    )
    return request_id


async def test_queue_positions_and_fifo_claims(store):
    first, second, third = [await submit(store) for _ in range(3)]
    assert [await store.queue_position(r) for r in (first, second, third)] == [0, 1, 2]
    claim = await store.claim(lease_s=30, max_attempts=3)
    assert claim.request_id == first and claim.attempt == 1
    assert await store.queue_position(first) is None
    assert [await store.queue_position(r) for r in (second, third)] == [0, 1]
    job = await store.get(first)
    assert job.status is JobStatus.IN_PROGRESS and job.started_at


async def test_expired_lease_is_claimed_again_and_finishes_once(store):
    request_id = await submit(store)
    dead = await store.claim(lease_s=0.2, max_attempts=3)
    assert await store.claim(lease_s=30, max_attempts=3) is None  # lease still valid
    await asyncio.sleep(0.3)
    again = await store.claim(lease_s=30, max_attempts=3)
    assert again.request_id == request_id and again.attempt == 2 and again.token != dead.token
    # The dead worker's late result is refused; the live one's is kept.
    assert not await store.finish(dead, JobStatus.COMPLETED, result={"x": 1})
    assert await store.heartbeat(dead, 30) == -1
    assert await store.finish(again, JobStatus.FAILED, error={"type": "t", "message": "m", "retryable": False})
    assert not await store.finish(again, JobStatus.COMPLETED, result={"x": 1})
    job = await store.get(request_id)
    assert job.status is JobStatus.FAILED and job.result is None and job.attempts == 2
    terminal = [e for _, e in await store.events(request_id) if JobStatus(e["status"]).terminal]
    assert len(terminal) == 1


async def test_attempts_are_bounded(store):
    request_id = await submit(store)
    await store.claim(lease_s=0.05, max_attempts=2)
    await asyncio.sleep(0.1)
    assert (await store.claim(lease_s=0.05, max_attempts=2)).attempt == 2
    await asyncio.sleep(0.1)
    last = await store.claim(lease_s=30, max_attempts=2)
    assert last.exhausted and last.request_id == request_id


async def test_cancel_queued_and_running(store):
    queued = await submit(store)
    running = await submit(store)
    # Claim `queued` first, so it is the running one.
    claim = await store.claim(lease_s=30, max_attempts=3)
    assert claim.request_id == queued
    assert await store.cancel(running) is JobStatus.CANCELLED
    assert await store.claim(lease_s=30, max_attempts=3) is None  # a cancelled job never starts
    assert await store.cancel(queued) is JobStatus.IN_PROGRESS
    assert await store.heartbeat(claim, 30) == 1
    assert await store.progress(claim, 1, 4) == 1
    assert await store.finish(claim, JobStatus.CANCELLED)
    assert (await store.get(queued)).status is JobStatus.CANCELLED


async def test_event_log_replays_after_an_id(store):
    request_id = await submit(store)
    claim = await store.claim(lease_s=30, max_attempts=3)
    await store.progress(claim, 1, 2)
    await store.progress(claim, 2, 2)
    await store.finish(claim, JobStatus.COMPLETED, result={"ok": True})
    events = await store.events(request_id)
    assert [e["status"] for _, e in events] == ["IN_QUEUE", "IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert events[2][1]["progress"] == {"chunks_done": 1, "chunks_total": 2, "fraction": 0.5}
    after = await store.events(request_id, after=events[2][0])
    assert [eid for eid, _ in after] == [eid for eid, _ in events[3:]]


async def test_owner_isolation(store):
    request_id = await submit(store, owner="key_a")
    assert (await store.get_owned(request_id, "key_a")).request_id == request_id
    from serve_app.errors import NotFound

    with pytest.raises(NotFound):
        await store.get_owned(request_id, "key_b")


async def test_progress_never_goes_back(store):
    """Chunks finish concurrently; a late report of fewer chunks is dropped."""
    request_id = await submit(store)
    claim = await store.claim(lease_s=30, max_attempts=3)
    assert await store.progress(claim, 3, 4) == 0
    assert await store.progress(claim, 2, 4) == 0
    assert (await store.get(request_id)).progress["chunks_done"] == 3
    logged = [e["progress"]["chunks_done"] for _, e in await store.events(request_id) if "progress" in e]
    assert logged == [3]


async def test_keys_of_the_old_layout_move_under_the_hash_tag(settings):
    from serve_app.store.migrate import hash_tagged_prefix

    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    keys = RedisKeys(settings.redis_prefix)
    old = f"{settings.redis_prefix}:job:req_1"
    await client.hset(old, "status", "COMPLETED")
    await client.expire(old, 100)
    try:
        assert await hash_tagged_prefix(client, keys) == 1
        assert await client.exists(old) == 0
        assert await client.hget(keys.job("req_1"), "status") == "COMPLETED"
        assert 0 < await client.ttl(keys.job("req_1")) <= 100
        assert await hash_tagged_prefix(client, keys) == 0  # nothing left to move
    finally:
        await client.delete(keys.job("req_1"))
        await client.aclose()
