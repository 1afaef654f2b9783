"""Connection limits shared through Redis: two limiters of one connection key (as two worker
processes would hold) stay within one concurrency cap, one leaky bucket and one pause."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from spojka.connector.http import ConnectionLimiter, limiter_for, use_shared_limits
from spojka.connector.spec import RateLimit
from spojka.embedded_redis import connect
from spojka.sync.shared_limits import RedisSharedLimits
from tests.support.servers import private_redis_url


@pytest.fixture
async def backend(redis_url: str) -> AsyncIterator[RedisSharedLimits]:
    redis: Redis = connect(private_redis_url(redis_url, 12))
    yield RedisSharedLimits(redis)
    await redis.aclose()


def _pair(limits: RateLimit, backend: RedisSharedLimits) -> tuple[ConnectionLimiter, ConnectionLimiter, str]:
    key = f"conn-{uuid.uuid4().hex[:8]}"
    return (
        ConnectionLimiter(limits, key=key, shared=backend),
        ConnectionLimiter(limits, key=key, shared=backend),
        key,
    )


async def test_two_processes_share_one_concurrency_cap(backend: RedisSharedLimits) -> None:
    first, second, _ = _pair(RateLimit(max_concurrency=2), backend)
    in_flight, peak = 0, 0

    async def request(limiter: ConnectionLimiter) -> None:
        nonlocal in_flight, peak
        async with limiter.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.05)
            in_flight -= 1

    await asyncio.gather(*(request(limiter) for limiter in (first, second) * 4))
    assert peak == 2


async def test_two_processes_share_one_leaky_bucket(backend: RedisSharedLimits) -> None:
    limits = RateLimit(bucket_size=4, leak_per_second=20)
    first, second, _ = _pair(limits, backend)
    started = time.perf_counter()
    for _ in range(12):
        async with first.slot():
            pass
        async with second.slot():
            pass
    elapsed = time.perf_counter() - started
    # 24 drops through one bucket of 4 leaking 20/s: at least (24 - 4) / 20 = 1 s. Two buckets of
    # their own would let them through in (24 - 8) / 40 = 0.4 s.
    assert elapsed >= 0.9, elapsed


async def test_drops_of_a_request_in_flight_leak_only_from_its_answer(backend: RedisSharedLimits) -> None:
    """The remote counts a request when it arrives, which may be as late as its answer: a slow
    request's drop must still be in the shared bucket then, or the next ones come too close."""
    limits = RateLimit(bucket_size=2, leak_per_second=10)
    first, second, _ = _pair(limits, backend)
    async with first.slot():
        await asyncio.sleep(0.3)  # long enough to leak the drop three times over, had it leaked
    started = time.perf_counter()
    async with second.slot():
        pass
    async with second.slot():
        pass
    # The slow request's drop and one more fill the bucket of 2: the third waits about 0.1 s.
    assert time.perf_counter() - started >= 0.08


async def test_a_retry_after_seen_by_one_process_holds_back_the_other(backend: RedisSharedLimits) -> None:
    first, second, _ = _pair(RateLimit(), backend)
    first.pause(0.5)
    await asyncio.sleep(0.05)  # the pause reaches Redis in the background
    started = time.perf_counter()
    await _enter(second)
    assert 0.3 <= time.perf_counter() - started < 1.5


async def _enter(limiter: ConnectionLimiter) -> None:
    async with limiter.slot():
        pass


async def test_a_slot_of_a_dead_process_is_free_after_its_lease(backend: RedisSharedLimits) -> None:
    key = f"conn-{uuid.uuid4().hex[:8]}"
    # A holder that never releases nor renews (its process was killed), with a 300 ms lease.
    assert await backend._acquire(keys=[backend._slots_key(key)], args=["dead", 1, 300])
    started = time.perf_counter()
    async with backend.concurrency(key, 1):
        waited = time.perf_counter() - started
    assert 0.2 <= waited < 2


async def test_limiters_made_after_registration_are_shared(backend: RedisSharedLimits) -> None:
    limits = RateLimit(max_concurrency=1)
    use_shared_limits(backend)
    try:
        limiter = limiter_for(f"conn-{uuid.uuid4().hex[:8]}", limits)
        assert limiter._shared is backend
    finally:
        use_shared_limits(None)
    assert limiter_for(f"conn-{uuid.uuid4().hex[:8]}", limits)._shared is None
