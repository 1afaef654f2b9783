"""Private databases for tests that must not share state with the session's database (global key
records, migrations run up and down): a fresh one on the same server, dropped afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url

from spojka.db.engine import create_engine
from spojka.db.migrate import grant_runtime_role, upgrade

if TYPE_CHECKING:  # tests.conftest imports this module
    from tests.conftest import DatabaseUnderTest


@dataclass(frozen=True)
class PrivateDatabase:
    owner_url: str
    runtime_url: str
    is_postgres: bool


async def autocommit(url: str, statement: str) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def private_database(
    test_database: DatabaseUnderTest, directory: Path, *, revision: str | None = "head"
) -> Iterator[PrivateDatabase]:
    """A fresh database next to the session's one (SQLite file or PostgreSQL database), migrated to
    ``revision`` (``None``: left empty), with the runtime role granted on PostgreSQL."""
    if not test_database.is_postgres:
        url = f"sqlite+aiosqlite:///{directory / f'private-{uuid.uuid4().hex[:8]}.db'}"
        if revision is not None:
            upgrade(url, revision)
        yield PrivateDatabase(url, url, is_postgres=False)
        return
    name = f"spojka_private_{uuid.uuid4().hex[:10]}"
    server_url = test_database.owner_url
    asyncio.run(autocommit(server_url, f'CREATE DATABASE "{name}"'))
    try:
        owner = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        runtime = make_url(test_database.runtime_url).set(database=name).render_as_string(hide_password=False)
        if revision is not None:
            upgrade(owner, revision)
            grant_runtime_role(owner, runtime)
        yield PrivateDatabase(owner, runtime, is_postgres=True)
    finally:
        asyncio.run(autocommit(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
