"""Fixed-window rate limits in Redis, atomic across processes (one Lua call per check)."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from spojka.http.problems import TooManyRequests

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
return {count, ttl}
"""
PREFIX = "spojka:rl:"


class RateLimiter:
    """Counts hits per (scope, identity) in a window and refuses past the limit."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._script = redis.register_script(_HIT)

    async def hit(self, scope: str, identity: str, *, limit: int, window_seconds: int) -> None:
        """Count one hit; raise ``TooManyRequests`` (429 with Retry-After) once over the limit."""
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        count, ttl = await self._script(keys=[f"{PREFIX}{scope}:{digest}"], args=[window_seconds])
        if int(count) > limit:
            raise TooManyRequests(
                "Too many attempts. Wait a moment and try again.",
                retry_after=int(ttl) if int(ttl) > 0 else window_seconds,
            )
