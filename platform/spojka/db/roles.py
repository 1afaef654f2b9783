"""Refuse to run the application as a PostgreSQL role that row-level security would not bind."""

from __future__ import annotations

import logging

from sqlalchemy import text

from spojka.db.engine import Database
from spojka.settings import Settings

log = logging.getLogger(__name__)

_ROLE = text("SELECT r.rolname, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user")


async def rls_bypass_reason(db: Database) -> str | None:
    """Why this connection's role escapes row-level security, or None when it is bound by it."""
    if db.engine.dialect.name != "postgresql":
        return None
    async with db.engine.connect() as conn:
        row = (await conn.execute(_ROLE)).one()
        owns = await conn.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        )
    if row.rolsuper:
        return f"role {row.rolname!r} is a superuser"
    if row.rolbypassrls:
        return f"role {row.rolname!r} has BYPASSRLS"
    if owns:
        return (
            f"role {row.rolname!r} owns the tables (run migrations as the owner, the app as a runtime role)"
        )
    return None


async def warn_or_refuse_rls_bypass(db: Database, settings: Settings) -> None:
    reason = await rls_bypass_reason(db)
    if reason is None:
        return
    message = (
        f"SPOJKA_DATABASE_URL connects as a role that row-level security does not bind: {reason}. "
        "Point it at the runtime role (spojka migrate creates and grants it) and keep the owner in "
        "SPOJKA_MIGRATION_DATABASE_URL."
    )
    if settings.is_production:
        raise RuntimeError(message)
    log.warning(message)


async def sees_every_tenant(db: Database) -> bool:
    """Whether this connection reads every tenant's rows (superuser or BYPASSRLS; always on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return True
    async with db.engine.connect() as conn:
        row = (await conn.execute(_ROLE)).one()
    return bool(row.rolsuper or row.rolbypassrls)
