"""Running Alembic from Spojka (``spojka migrate``), and the PostgreSQL runtime role's grants."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from spojka.db.engine import create_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; running it twice changes nothing."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def _grant_runtime_role(owner_url: str, runtime_user: str) -> None:
    engine = create_engine(owner_url)
    quoted = '"' + runtime_user.replace('"', '""') + '"'
    async with engine.begin() as conn:
        exists = await conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": runtime_user})
        if not exists:
            await conn.execute(text(f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE"))
        await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        await conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        )
        await conn.execute(text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
        await conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    await engine.dispose()


def grant_runtime_role(owner_url: str, runtime_url: str) -> str | None:
    """On PostgreSQL, create the runtime role if missing and grant it DML only; returns its name.

    Nothing to do when both URLs name the same role (or on SQLite).
    """
    owner, runtime = make_url(owner_url), make_url(runtime_url)
    if owner.get_backend_name() != "postgresql" or owner.username == runtime.username:
        return None
    if runtime.username is None:
        return None
    asyncio.run(_grant_runtime_role(owner_url, runtime.username))
    return runtime.username
