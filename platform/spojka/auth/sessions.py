"""Server-side dashboard sessions in Redis; the cookie holds only a random token."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

import msgspec
from redis.asyncio import Redis

COOKIE_NAME = "spojka_session"
PREFIX = "spojka:session:"
USER_INDEX = "spojka:user-sessions:"


class SessionData(msgspec.Struct):
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    created_at: float
    last_seen: float


def _key(token: str) -> str:
    # Only a hash of the token is stored, so a Redis dump does not hand out live sessions.
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, *, idle_seconds: int, max_seconds: int) -> None:
        self._redis = redis
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds

    async def create(self, user_id: uuid.UUID, tenant_id: uuid.UUID) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        data = SessionData(user_id=user_id, tenant_id=tenant_id, created_at=now, last_seen=now)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(token), msgspec.json.encode(data), ex=self.idle_seconds)
            pipe.sadd(USER_INDEX + str(user_id), _key(token))
            pipe.expire(USER_INDEX + str(user_id), self.max_seconds)
            await pipe.execute()
        return token

    async def get(self, token: str) -> SessionData | None:
        """The live session for this token, sliding its idle expiry; None when expired or unknown."""
        raw = await self._redis.get(_key(token))
        if raw is None:
            return None
        data = msgspec.json.decode(raw, type=SessionData)
        now = time.time()
        if now - data.created_at > self.max_seconds:
            await self.delete(token)
            return None
        if now - data.last_seen > 60:
            data.last_seen = now
            await self._redis.set(_key(token), msgspec.json.encode(data), ex=self.idle_seconds)
        return data

    async def switch_tenant(self, token: str, tenant_id: uuid.UUID) -> None:
        data = await self.get(token)
        if data is not None:
            data.tenant_id = tenant_id
            await self._redis.set(_key(token), msgspec.json.encode(data), ex=self.idle_seconds)

    async def delete(self, token: str) -> None:
        await self._redis.delete(_key(token))

    async def delete_all_for_user(self, user_id: uuid.UUID) -> None:
        index = USER_INDEX + str(user_id)
        keys = await self._redis.smembers(index)  # type: ignore[misc]
        if keys:
            await self._redis.delete(*keys)
        await self._redis.delete(index)
