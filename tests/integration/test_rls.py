"""Row-level security on PostgreSQL: the database itself keeps tenants apart, whatever the code above does.

Every query in this file that reads tenant rows on the runtime URL deliberately has no ``WHERE tenant_id``:
what it sees is what row-level security lets through.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.models import AuditEntry
from spojka.connections.models import Connection
from spojka.db import Database
from spojka.db.engine import create_engine
from spojka.db.roles import rls_bypass_reason
from spojka.installs.models import AddonInstallation
from spojka.tenants.models import Tenant
from tests.conftest import DatabaseUnderTest

pytestmark = pytest.mark.postgres

TENANT_TABLES_SQL = text(
    """
    SELECT c.table_name
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name
    """
)


@dataclass(frozen=True)
class TwoTenants:
    a: uuid.UUID
    b: uuid.UUID
    a_connections: frozenset[uuid.UUID]
    b_connections: frozenset[uuid.UUID]


@pytest.fixture
async def owner_db(test_database: DatabaseUnderTest) -> AsyncIterator[Database]:
    db = Database(test_database.owner_url)
    yield db
    await db.dispose()


@pytest.fixture
async def runtime_db(test_database: DatabaseUnderTest) -> AsyncIterator[Database]:
    db = Database(test_database.runtime_url)
    yield db
    await db.dispose()


@pytest.fixture
async def two_tenants(owner_db: Database) -> TwoTenants:
    """Tenants A (three connections) and B (two), written by the owner role."""
    a, b = uuid.uuid4(), uuid.uuid4()
    connections: dict[uuid.UUID, set[uuid.UUID]] = {a: set(), b: set()}
    async with owner_db.session() as session:
        session.add_all([Tenant(id=a, name="RLS A"), Tenant(id=b, name="RLS B")])
        await session.flush()
        for tenant, count in ((a, 3), (b, 2)):
            for i in range(count):
                conn = Connection(tenant_id=tenant, connector="test-eshop", name=f"rls {i}", settings={})
                session.add(conn)
                await session.flush()
                connections[tenant].add(conn.id)
                session.add(
                    AuditEntry(
                        tenant_id=tenant,
                        actor_type="system",
                        actor_id=None,
                        actor_label=None,
                        action="test.seeded",
                        target_type="connection",
                        target_id=str(conn.id),
                        details={},
                    )
                )
    return TwoTenants(a, b, frozenset(connections[a]), frozenset(connections[b]))


async def _fail_half_way(db: Database, tenant: uuid.UUID | None) -> None:
    async with db.session(tenant_id=tenant) as session:
        await session.execute(select(Connection.id))
        raise RuntimeError("rolled back")


async def _add_and_flush(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def _write_as(
    db: Database, tenant: uuid.UUID, write: Callable[[AsyncSession], Awaitable[object]]
) -> None:
    async with db.session(tenant_id=tenant) as session:
        await write(session)


async def _tenant_tables(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(TENANT_TABLES_SQL)).scalars())


async def test_every_tenant_table_has_forced_row_level_security(owner_db: Database) -> None:
    tables = await _tenant_tables(owner_db)
    # The list comes from the catalogue, so a new tenant table is covered; these must be among them.
    assert {"connections", "links", "runs", "run_events", "sealed_secrets", "memberships"} <= set(tables)
    async with owner_db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           (SELECT count(*) FROM pg_policies p
                            WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relname = ANY(:tables)
                    """
                ),
                {"tables": [*tables, "tenants"]},
            )
        ).all()
    found = {row.relname: row for row in rows}
    assert set(found) == {*tables, "tenants"}
    unprotected = [
        f"{name}: rowsecurity={row.relrowsecurity} force={row.relforcerowsecurity} policies={row.policies}"
        for name, row in sorted(found.items())
        if not (row.relrowsecurity and row.relforcerowsecurity and row.policies)
    ]
    assert not unprotected, "tables not bound by row-level security:\n" + "\n".join(unprotected)


async def test_runtime_role_is_bound_by_row_level_security(runtime_db: Database) -> None:
    async with runtime_db.engine.connect() as conn:
        role = (
            await conn.execute(
                text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        owned = (
            (
                await conn.execute(
                    text(
                        """
                    SELECT n.nspname || '.' || c.relname
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                    """
                    )
                )
            )
            .scalars()
            .all()
        )
    assert role.rolname == "spojka_test_app"
    assert role.rolsuper is False
    assert role.rolbypassrls is False
    assert owned == []
    # The app's own start-up check agrees.
    assert await rls_bypass_reason(runtime_db) is None


async def test_one_pooled_connection_serving_alternating_tenants_never_mixes_them(
    test_database: DatabaseUnderTest, two_tenants: TwoTenants
) -> None:
    db = Database(test_database.runtime_url, pool_size=1, max_overflow=0)
    tables = await _tenant_tables(db)
    expected = {
        two_tenants.a: two_tenants.a_connections,
        two_tenants.b: two_tenants.b_connections,
        None: frozenset(),
    }
    order = [two_tenants.a, two_tenants.b, two_tenants.a, None, two_tenants.b, None, None, two_tenants.a]
    backends: set[int] = set()
    try:
        for round_number in range(8):
            for step, tenant in enumerate(order):
                async with db.session(tenant_id=tenant) as session:
                    backends.add(await session.scalar(text("SELECT pg_backend_pid()")))
                    rows = (await session.execute(select(Connection.id, Connection.tenant_id))).all()
                    seen_ids = {row.id for row in rows} & (
                        two_tenants.a_connections | two_tenants.b_connections
                    )
                    assert seen_ids == expected[tenant], f"round {round_number} step {step} as {tenant}"
                    if tenant is None:
                        assert rows == [], "with no tenant bound, no connection is visible"
                    else:
                        assert {row.tenant_id for row in rows} == {tenant}
                    # Every tenant table, read without any WHERE: only the bound tenant's rows, or none.
                    for table in tables:
                        others = await session.scalar(
                            text(f"SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM :t"),
                            {"t": tenant},
                        )
                        assert others == 0, f"{table} shows another tenant's rows while bound to {tenant}"
                # A transaction that fails half-way must not leave its tenant on the connection either.
                if step % 3 == 0:
                    with pytest.raises(RuntimeError):
                        await _fail_half_way(db, tenant)
                async with db.engine.connect() as conn:
                    bound = await conn.scalar(text("SELECT current_setting('app.tenant_id', true)"))
                    assert bound in (None, ""), f"the tenant setting outlived its transaction: {bound!r}"
                    assert await conn.scalar(select(func.count()).select_from(Connection)) == 0
    finally:
        await db.dispose()
    assert len(backends) == 1, "the test meant to reuse one pooled connection"


async def test_inserting_or_moving_rows_into_another_tenant_is_refused(
    runtime_db: Database, owner_db: Database, two_tenants: TwoTenants
) -> None:
    a, b = two_tenants.a, two_tenants.b
    smuggled = Connection(tenant_id=b, connector="test-eshop", name="smuggled into B", settings={})
    with pytest.raises(DBAPIError, match="row-level security"):
        await _write_as(runtime_db, a, lambda session: _add_and_flush(session, smuggled))

    one_of_a = next(iter(two_tenants.a_connections))
    move = update(Connection).where(Connection.id == one_of_a).values(tenant_id=b)
    with pytest.raises(DBAPIError, match="row-level security"):
        await _write_as(runtime_db, a, lambda session: session.execute(move))

    # B's rows are invisible to a session bound to A: updates and deletes of them touch nothing.
    async with runtime_db.session(tenant_id=a) as session:
        changed = await session.execute(
            update(Connection).where(Connection.tenant_id == b).values(name="renamed by A")
        )
        assert changed.rowcount == 0
        deleted = await session.execute(text("DELETE FROM connections WHERE tenant_id = :b"), {"b": b})
        assert deleted.rowcount == 0

    async with owner_db.session() as session:
        rows = (
            (await session.execute(select(Connection).where(Connection.tenant_id.in_([a, b]))))
            .scalars()
            .all()
        )
    assert {c.id for c in rows if c.tenant_id == b} == two_tenants.b_connections
    assert {c.id for c in rows if c.tenant_id == a} == two_tenants.a_connections
    assert all(c.name.startswith("rls ") for c in rows)


async def test_raw_sql_without_a_tenant_sees_nothing(
    test_database: DatabaseUnderTest, owner_db: Database, two_tenants: TwoTenants
) -> None:
    async with owner_db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT * FROM connections"))).all(), "the table has rows"
    engine = create_engine(test_database.runtime_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT * FROM connections"))).all() == []
            assert (await conn.execute(text("SELECT * FROM sealed_secrets"))).all() == []
            assert (await conn.execute(text("SELECT * FROM tenants"))).all() == []
            assert (await conn.execute(text("SELECT * FROM memberships"))).all() == []
    finally:
        await engine.dispose()


async def test_an_install_call_sees_only_the_installation_of_the_shop_it_proved(
    owner_db: Database, runtime_db: Database, two_tenants: TwoTenants
) -> None:
    shop = f"rls-{uuid.uuid4().hex[:8]}"
    async with owner_db.session() as session:
        session.add(AddonInstallation(tenant_id=two_tenants.a, connector="shoptet", remote_id=shop))
        session.add(AddonInstallation(tenant_id=two_tenants.b, connector="shoptet", remote_id=f"{shop}-b"))

    async def visible(install_key: str | None) -> set[str]:
        async with runtime_db.session() as session:
            if install_key is not None:
                await session.execute(
                    text("SELECT set_config('app.install_key', :k, true)"), {"k": install_key}
                )
            return set(await session.scalars(select(AddonInstallation.remote_id)))

    assert await visible(None) == set()
    assert await visible(f"shoptet:{shop}") == {shop}
    assert await visible(f"shoptet:{shop}-c") == set()
    assert await visible(f"other:{shop}") == set()
