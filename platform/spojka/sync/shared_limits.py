"""Connection limits kept in Redis, so that every worker process of a connection shares them.

Registered with :func:`spojka.connector.http.use_shared_limits` when a worker or the API starts:
the connector SDK's HTTP client then takes a connection-wide slot for each request (a lease in a
sorted set, renewed while held, so a killed process frees its slots within a lease) and asks one
leaky bucket per connection before sending (a hash updated by a Lua script on Redis's clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import AsyncIterator
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from spojka.queue import key as redis_key

log = logging.getLogger(__name__)

#: A slot held by a process that died is free again after this long.
LEASE_SECONDS: Final = 15.0
#: How often a live holder renews its lease.
RENEW_SECONDS: Final = 5.0
#: Pause between attempts to get a slot while all are taken (jittered).
POLL_SECONDS: Final = 0.05

# KEYS[1] the slots zset; ARGV: token, limit, lease ms. Expired leases go first; 1 if taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0
"""

# KEYS[1] the slots zset; ARGV: token, lease ms. Renews only a lease still held.
_RENEW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0
"""

# KEYS[1] the bucket hash; ARGV: size (or -1), leak per second, cost, observed (or -1), pause s.
# Returns the seconds to wait as a string (0: the drops were poured).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local size, leak, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local observed, pause = tonumber(ARGV[4]), tonumber(ARGV[5])
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
if size > 0 and leak > 0 then
  level = math.max(0, level - math.max(0, now - at) * leak)
  if observed >= 0 then level = math.max(level, observed) end
end
if pause > 0 then paused = math.max(paused, now + pause) end
local wait = math.max(0, paused - now)
if size > 0 and leak > 0 then
  local excess = level + math.min(cost, size) - size
  if excess > 0 then wait = math.max(wait, excess / leak) end
  if wait <= 0 then level = level + cost end
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now), 'paused', tostring(paused))
local keep = 60
if size > 0 and leak > 0 then keep = keep + size / leak end
keep = keep + math.max(0, paused - now)
redis.call('EXPIRE', KEYS[1], math.ceil(keep))
return tostring(wait)
"""


# KEYS[1] the bucket hash; ARGV: leak per second, drops to put back. Leaks first, like _RESERVE.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local leak, back = tonumber(ARGV[1]), tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or tostring(now))
level = math.max(0, level - math.max(0, now - at) * leak) + back
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
return 1
"""


class RedisSharedLimits:
    """:class:`~spojka.connector.http.SharedLimits` on the platform's Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._reserve = redis.register_script(_RESERVE)
        self._settle = redis.register_script(_SETTLE)

    @staticmethod
    def _slots_key(key: str) -> str:
        return redis_key("limits", key, "slots")

    @staticmethod
    def _bucket_key(key: str) -> str:
        return redis_key("limits", key, "bucket")

    @contextlib.asynccontextmanager
    async def concurrency(self, key: str, limit: int) -> AsyncIterator[None]:
        slots = self._slots_key(key)
        token = secrets.token_hex(8)
        lease_ms = int(LEASE_SECONDS * 1000)
        # Another process frees a slot without telling us: polling Redis is the only way to learn it.
        while not await self._acquire(keys=[slots], args=[token, limit, lease_ms]):  # noqa: ASYNC110
            await asyncio.sleep(POLL_SECONDS * (0.5 + random.random()))  # noqa: S311 (jitter)
        renewing = asyncio.create_task(self._keep(slots, token, lease_ms))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self.redis.zrem(slots, token)

    async def _keep(self, slots: str, token: str, lease_ms: int) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self._renew(keys=[slots], args=[token, lease_ms])

    async def reserve(
        self,
        key: str,
        *,
        size: float | None,
        leak_per_second: float | None,
        cost: float,
        observed: float | None = None,
        pause_seconds: float = 0.0,
    ) -> float:
        answer = await self._reserve(
            keys=[self._bucket_key(key)],
            args=[
                size or -1,
                leak_per_second or -1,
                cost,
                -1 if observed is None else observed,
                pause_seconds,
            ],
        )
        return float(answer.decode() if isinstance(answer, bytes) else answer)

    async def settle(
        self, key: str, *, leak_per_second: float, cost: float, seconds_in_flight: float
    ) -> None:
        back = min(cost, max(0.0, seconds_in_flight) * leak_per_second)
        if back <= 0:
            return
        try:
            await self._settle(keys=[self._bucket_key(key)], args=[leak_per_second, back])
        except RedisError as exc:  # a lost refinement: the next reservation still paces
            log.debug("shared bucket %s not settled: %s", key, exc)
