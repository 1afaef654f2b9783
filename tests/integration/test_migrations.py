"""Migrations: every revision goes up and down on SQLite and PostgreSQL, and the head matches the
models exactly (a model change without its migration fails here)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import spojka.app  # noqa: F401  (imports every package's models into the metadata)
from spojka.db import Base
from spojka.db.engine import create_engine
from spojka.db.migrate import alembic_config, downgrade, upgrade
from tests.conftest import DatabaseUnderTest
from tests.support.databases import PrivateDatabase, private_database


@pytest.fixture
def empty_database(test_database: DatabaseUnderTest, tmp_path: Path) -> Iterator[PrivateDatabase]:
    yield from private_database(test_database, tmp_path, revision=None)


def _differences(url: str) -> list[Any]:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async def main() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _tables(url: str) -> set[str]:
    async def main() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                names: list[str] = await conn.run_sync(lambda c: inspect(c).get_table_names())
                return set(names) - {"alembic_version"}
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_head_matches_the_models(empty_database: PrivateDatabase) -> None:
    upgrade(empty_database.owner_url)
    assert _differences(empty_database.owner_url) == []


def test_every_revision_goes_down_and_up_again(empty_database: PrivateDatabase) -> None:
    url = empty_database.owner_url
    script = ScriptDirectory.from_config(alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001"
    for revision in revisions:
        upgrade(url, revision)
    for previous in reversed(["base", *revisions[:-1]]):
        downgrade(url, previous)
    assert _tables(url) == set()
    upgrade(url)
    assert _differences(url) == []
