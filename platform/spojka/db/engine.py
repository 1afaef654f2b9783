"""Engines and sessions, with the tenant bound to every PostgreSQL transaction.

Tenancy on PostgreSQL rests on row-level security keyed on the transaction-local settings
``app.tenant_id`` and ``app.user_id``. They are set with ``set_config(..., true)`` at the start of
every transaction (and at once when a principal is bound mid-transaction), so a pooled connection
never carries one tenant's context into the next transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

TENANT_KEY = "tenant_id"
USER_KEY = "user_id"
_SET_CONTEXT = text(
    "SELECT set_config('app.tenant_id', :tenant, true), set_config('app.user_id', :user, true)"
)


class TenantSession(Session):
    """Sync session class behind every AsyncSession; carries the principal in ``info``."""


def is_postgres(bind: AsyncEngine | Connection | AsyncSession) -> bool:
    engine = bind.bind if isinstance(bind, AsyncSession) else bind
    return engine is not None and engine.dialect.name == "postgresql"


def _context_params(info: dict[str, Any]) -> dict[str, str]:
    tenant = info.get(TENANT_KEY)
    user = info.get(USER_KEY)
    return {"tenant": str(tenant) if tenant else "", "user": str(user) if user else ""}


@event.listens_for(TenantSession, "after_begin")
def _apply_tenant_context(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_SET_CONTEXT, _context_params(session.info))


async def bind_principal(
    session: AsyncSession, *, tenant_id: uuid.UUID | None, user_id: uuid.UUID | None = None
) -> None:
    """Bind the tenant (and user) to this session; on PostgreSQL it takes effect at once."""
    session.info[TENANT_KEY] = tenant_id
    session.info[USER_KEY] = user_id
    if session.in_transaction() and is_postgres(session):
        await session.execute(_SET_CONTEXT, _context_params(session.info))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine with the dialect-specific setup Spojka relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TenantSession
        )

    @asynccontextmanager
    async def session(
        self, *, tenant_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A session bound to a principal: commits on success, rolls back on error."""
        async with self.sessionmaker() as session:
            session.info[TENANT_KEY] = tenant_id
            session.info[USER_KEY] = user_id
            async with session.begin():
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
