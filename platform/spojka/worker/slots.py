"""A per-tenant cap on concurrent runs, shared by every worker (a Redis sorted set of leases)."""

from __future__ import annotations

import secrets
import time
import uuid

from redis.asyncio import Redis

PREFIX = "spojka:tenant-slots:"
# Drop expired leases (a worker that died), then take a slot only if one is free: atomically.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


class TenantSlots:
    def __init__(self, redis: Redis, *, limit: int, ttl: int) -> None:
        self._redis = redis
        self._limit = limit
        self._ttl = ttl
        self._script = redis.register_script(_ACQUIRE)

    async def acquire(self, tenant_id: uuid.UUID) -> str | None:
        """A lease token, or None when the tenant already runs ``limit`` flows."""
        token = secrets.token_hex(8)
        now = time.time()
        ok = await self._script(
            keys=[f"{PREFIX}{tenant_id}"], args=[now, self._limit, now + self._ttl, token, self._ttl]
        )
        return token if int(ok) else None

    async def release(self, tenant_id: uuid.UUID, token: str) -> None:
        await self._redis.zrem(f"{PREFIX}{tenant_id}", token)
