"""The scheduler tick on a real database and Redis: what it queues, what it leaves, and that its
cost follows the tick, not the number of due flows.

The tick runs against a Redis database of its own (the schedule and the arq queue live there), so
nothing it queues reaches the workers other tests start; the links are real rows made through the
API.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from arq.connections import ArqRedis
from sqlalchemy import event, select

from spojka.connector.registry import Registry
from spojka.db import Database
from spojka.links.flows import Flows
from spojka.queue import DEFAULT_QUEUE_NAME, create_queue_pool
from spojka.runs.enqueue import flow_job_id
from spojka.runs.models import Run
from spojka.runs.schedule import BUILT_KEY, SCHEDULE_KEY, Due, schedule_link
from spojka.sync.runner import Engine
from spojka.vault import KeyRing, SecretStore
from spojka.worker.scheduler import RETRY_MISSING_SECONDS, fair_order, tick
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import KEY_ENTRY
from tests.support.api import ApiUser
from tests.support.servers import private_redis_url

#: Long before any real schedule entry: only what a test puts here is due at ``T0``.
T0 = 1_000_000_000.0
ORDERS_EVERY = Flows().orders.every_minutes * 60


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    queue = await create_queue_pool(private_redis_url(redis_url, 11))
    await queue.flushdb()
    # Built: this schedule holds only what a test puts on it (a rebuild would add every link).
    await queue.set(BUILT_KEY, "1")
    yield queue
    await queue.flushdb()
    await queue.aclose()


@pytest.fixture
async def dbs(test_database: DatabaseUnderTest) -> AsyncIterator[tuple[Engine, Database]]:
    runtime, admin = Database(test_database.runtime_url), Database(test_database.owner_url)
    engine = Engine(db=runtime, registry=Registry(), secrets=SecretStore(KeyRing.parse(KEY_ENTRY)))
    yield engine, admin
    await runtime.dispose()
    await admin.dispose()


async def _links(user: ApiUser, n: int) -> list[Due]:
    tenant_id = uuid.UUID((await user.get("/api/v1/me")).json()["tenant"]["id"])
    return [Due(tenant_id, uuid.UUID((await user.create_link())["id"]), "orders") for _ in range(n)]


async def _make_due(pool: ArqRedis, items: list[Due], when: float = T0) -> None:
    for item in items:
        await schedule_link(pool, item.tenant_id, item.link_id, Flows(), paused=False, now=when + 10**6)
        await pool.zadd(SCHEDULE_KEY, {item.member: when})


async def _runs(admin: Database, item: Due) -> list[Run]:
    async with admin.session() as session:
        rows = await session.scalars(
            select(Run).where(Run.link_id == item.link_id, Run.flow == item.flow).order_by(Run.queued_at)
        )
        return list(rows)


async def test_a_tick_queues_each_due_flow_once_and_moves_it_on(
    pool: ArqRedis, dbs: tuple[Engine, Database], new_user: Callable[[], Awaitable[ApiUser]]
) -> None:
    engine, admin = dbs
    a, b = await new_user(), await new_user()
    await a.signup()
    await b.signup()
    due_a, due_b = await _links(a, 2), await _links(b, 1)
    paused = (await _links(a, 1))[0]
    response = await a.patch(f"/api/v1/links/{paused.link_id}", json={"paused": True})
    assert response.status_code == 200, response.text
    ghost = Due(due_a[0].tenant_id, uuid.uuid4(), "orders")
    forged = Due(due_b[0].tenant_id, due_a[1].link_id, "stock")  # a's link under b's tenant
    await _make_due(pool, [*due_a, *due_b])
    await pool.zadd(SCHEDULE_KEY, {paused.member: T0, ghost.member: T0, forged.member: T0})

    assert await tick(engine, pool, admin, now=T0 + 1) == 3

    for item in (*due_a, *due_b):
        (run,) = await _runs(admin, item)
        assert (run.status, run.trigger, run.tenant_id) == ("queued", "schedule", item.tenant_id)
        assert await pool.exists(f"arq:job:{flow_job_id(item.link_id, item.flow)}")
        assert await pool.zscore(SCHEDULE_KEY, item.member) == T0 + 1 + ORDERS_EVERY
    assert await pool.zcard(DEFAULT_QUEUE_NAME) == 3
    # Off the schedule: the paused link, and an entry naming a link of another tenant.
    assert await pool.zscore(SCHEDULE_KEY, paused.member) is None
    assert await pool.zscore(SCHEDULE_KEY, forged.member) is None
    assert await _runs(admin, forged) == []
    # A link not found (its transaction may not have committed) is looked at again later.
    assert await pool.zscore(SCHEDULE_KEY, ghost.member) == T0 + 1 + RETRY_MISSING_SECONDS

    # Due again while its run still waits: no second run, no second job.
    await pool.zadd(SCHEDULE_KEY, {due_a[0].member: T0})
    assert await tick(engine, pool, admin, now=T0 + 2) == 1
    assert len(await _runs(admin, due_a[0])) == 1
    assert await pool.zcard(DEFAULT_QUEUE_NAME) == 3
    assert await tick(engine, pool, admin, now=T0 + 3) == 0


async def test_a_tick_costs_the_same_statements_for_three_due_flows_as_for_twenty_six(
    pool: ArqRedis, dbs: tuple[Engine, Database], new_user: Callable[[], Awaitable[ApiUser]]
) -> None:
    engine, admin = dbs
    items: list[Due] = []
    for _ in range(6):
        user = await new_user()
        await user.signup()
        items += await _links(user, 5)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engines = [admin.engine.sync_engine, engine.db.engine.sync_engine]
    for sync_engine in engines:
        event.listen(sync_engine, "before_cursor_execute", count)
    try:
        # The first tick also learns once which role the maintenance connection has.
        await _make_due(pool, items[:1], when=T0 - 10)
        assert await tick(engine, pool, admin, now=T0 - 9) == 1
        statements.clear()
        await _make_due(pool, items[1:4])
        assert await tick(engine, pool, admin, now=T0 + 1) == 3
        few = len(statements)
        statements.clear()
        await _make_due(pool, items[4:], when=T0 + 5)
        started = time.perf_counter()
        assert await tick(engine, pool, admin, now=T0 + 6) == 26
        elapsed = time.perf_counter() - started
    finally:
        for sync_engine in engines:
            event.remove(sync_engine, "before_cursor_execute", count)
    assert len(statements) == few, statements
    assert elapsed < 5, f"a tick of 26 due flows took {elapsed:.2f} s"


def test_fair_order_takes_tenants_in_turn() -> None:
    t1, t2 = uuid.uuid4(), uuid.uuid4()
    items = [Due(t1, uuid.uuid4(), "orders") for _ in range(3)] + [Due(t2, uuid.uuid4(), "orders")]
    assert [i.tenant_id for i in fair_order(items)] == [t1, t2, t1, t1]
