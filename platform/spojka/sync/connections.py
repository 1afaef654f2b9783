"""Opening a tenant's connection for the engine: its connector, settings, credentials and state."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select

from spojka.connections.models import Connection
from spojka.connections.validation import only_credentials
from spojka.connector import ConfigError, ConnectionContext, ConnectorSpec, OpensSessions
from spojka.connector.registry import Registry
from spojka.db import Database
from spojka.vault import SecretStore

STATE_PREFIX = "state."
_LOCK_PREFIX = "spojka:connection-lock:"


class VaultState:
    """A connection's small state, sealed in the vault next to its credentials."""

    def __init__(
        self,
        db: Database,
        store: SecretStore,
        tenant_id: uuid.UUID,
        connection_id: uuid.UUID,
        redis: Redis | None,
    ) -> None:
        self._db, self._store, self._redis = db, store, redis
        self._tenant_id, self._connection_id = tenant_id, connection_id

    async def get(self, key: str) -> str | None:
        async with self._db.session(tenant_id=self._tenant_id) as session:
            values = await self._store.get(
                session, self._tenant_id, self._connection_id, fields=[STATE_PREFIX + key]
            )
        return values.get(STATE_PREFIX + key)

    async def set(self, key: str, value: str | None) -> None:
        async with self._db.session(tenant_id=self._tenant_id) as session:
            await self._store.put(session, self._tenant_id, self._connection_id, {STATE_PREFIX + key: value})

    def lock(self, key: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[None]:
        return self._lock(key, timeout)

    @asynccontextmanager
    async def _lock(self, key: str, seconds: float) -> AsyncIterator[None]:
        if self._redis is None:
            yield
            return
        # redis-py's lock stores an owner token and releases only its own lock.
        async with self._redis.lock(
            f"{_LOCK_PREFIX}{self._connection_id}:{key}", timeout=seconds, blocking_timeout=seconds
        ):
            yield


@dataclass(frozen=True, slots=True)
class OpenedConnection:
    spec: ConnectorSpec
    session: Any
    name: str


@asynccontextmanager
async def open_connection(
    db: Database,
    registry: Registry,
    store: SecretStore,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    redis: Redis | None = None,
    webhook_url: str | None = None,
) -> AsyncIterator[OpenedConnection]:
    """Decrypt the credentials just for this session and hand them to the connector."""
    async with db.session(tenant_id=tenant_id) as session:
        connection = await session.scalar(
            select(Connection).where(Connection.tenant_id == tenant_id, Connection.id == connection_id)
        )
        if connection is None:
            raise ConfigError("The connection no longer exists.")
        entry = registry.get(connection.connector)
        if entry is None or entry.connector is None or entry.spec is None:
            raise ConfigError(f"The connector {connection.connector!r} is not available on this server.")
        connector = entry.connector
        spec = entry.spec
        if not isinstance(connector, OpensSessions):
            raise ConfigError(f"{spec.title} cannot transfer data yet (its connector offers no session).")
        credentials = only_credentials(spec, await store.get(session, tenant_id, connection_id))
        settings = dict(connection.settings)
        name = connection.name
    context = ConnectionContext(
        connection_id=str(connection_id),
        settings=settings,
        credentials=credentials,
        state=VaultState(db, store, tenant_id, connection_id, redis),
        webhook_url=webhook_url,
    )
    async with connector.open(context) as remote:
        yield OpenedConnection(spec=spec, session=remote, name=name)
