"""Shared fixtures: which database and Redis the tests use.

On the embedded default (no variables set) tests use a fresh SQLite file and an embedded Redis.
With ``SPOJKA_TEST_DATABASE_URL`` (PostgreSQL, owner role) and ``SPOJKA_TEST_REDIS_URL`` they use
those servers; ``SPOJKA_TEST_REQUIRE_SERVICES=1`` (set by CI) turns "cannot reach" into a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.support.databases import autocommit

PG_URL = os.environ.get("SPOJKA_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("SPOJKA_TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("SPOJKA_TEST_REQUIRE_SERVICES") == "1"
RUNTIME_ROLE = "spojka_test_app"

# Settings are read once per process: make sure a developer's own .env or SPOJKA_* never leaks in.
for _name in [n for n in os.environ if n.startswith("SPOJKA_") and not n.startswith("SPOJKA_TEST_")]:
    del os.environ[_name]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    if REQUIRE_SERVICES:
        msg = "SPOJKA_TEST_REQUIRE_SERVICES=1 but SPOJKA_TEST_DATABASE_URL is not set"
        raise pytest.UsageError(msg)
    skip = pytest.mark.skip(reason="PostgreSQL-only: set SPOJKA_TEST_DATABASE_URL to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def uses_postgres() -> bool:
    return bool(PG_URL)


@dataclass(frozen=True)
class DatabaseUnderTest:
    """A migrated database for this test session: the owner's URL and the runtime role's URL."""

    owner_url: str
    runtime_url: str

    @property
    def is_postgres(self) -> bool:
        return self.owner_url.startswith("postgresql")


def _create_pg_database() -> DatabaseUnderTest:
    name = new_database_name()
    try:
        asyncio.run(autocommit(PG_URL, f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"cannot reach PostgreSQL at SPOJKA_TEST_DATABASE_URL: {exc}", pytrace=False)
    return DatabaseUnderTest(owner_url_for(PG_URL, name), runtime_url_for(PG_URL, name))


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseUnderTest]:
    """A freshly migrated database (PostgreSQL when configured, else SQLite) for the whole session."""
    from spojka.db.migrate import grant_runtime_role, upgrade

    if PG_URL:
        db = _create_pg_database()
    else:
        path = tmp_path_factory.mktemp("db") / "spojka.db"
        db = DatabaseUnderTest(sqlite_url(path), sqlite_url(path))
    upgrade(db.owner_url)
    grant_runtime_role(db.owner_url, db.runtime_url)
    yield db
    if db.is_postgres:
        name = make_url(db.owner_url).database
        asyncio.run(autocommit(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server: the configured one, or an embedded one for this test session."""
    if REDIS_URL:
        yield REDIS_URL
        return
    from spojka.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def new_database_name() -> str:
    return f"spojka_t_{uuid.uuid4().hex[:10]}"


def runtime_url_for(owner_url: str, database: str) -> str:
    url = make_url(owner_url).set(database=database, username=RUNTIME_ROLE, password=None)
    return url.render_as_string(hide_password=False)


def owner_url_for(owner_url: str, database: str) -> str:
    return make_url(owner_url).set(database=database).render_as_string(hide_password=False)


def random_secret() -> str:
    return secrets.token_urlsafe(16)


#: The vendors' schemas and examples (../shared/reference beside the repository); tests that need
#: them skip with a reason when the folder is absent.
REFERENCE_DIR = Path(
    os.environ.get("SPOJKA_TEST_REFERENCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "reference")
)
