"""The scheduler tick: queue the flows that are due, fairly across tenants.

Every worker runs the tick each minute; arq's unique cron job id keeps two from overlapping. Due
flows are taken round-robin by tenant, so one tenant with a thousand links waits its turn behind
the others instead of filling the queue.

A tick costs a fixed number of round trips whatever is due: one read of the schedule, one
transaction that reads the due links and their waiting runs and inserts the new runs, the arq
enqueues side by side, and one pipeline that moves every due time on. The transaction runs on the
maintenance connection, which sees every tenant (the schedule is the platform's, not a tenant's);
where that connection is bound by row-level security, it runs once per tenant on the tenant's own
binding instead.

A suspended tenant's flows are not queued. They stay on the schedule, looked at again on the next
tick (``SUSPENDED_RECHECK_SECONDS``), so reactivating the tenant resumes them on the tick after it;
their cursors were never touched, so nothing is lost in between. Whether a tenant is suspended is
read in the same statement as its links, so the tick's cost does not grow with tenants.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import Database, new_id, utcnow
from spojka.db.roles import sees_every_tenant
from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.runs.enqueue import enqueue_flow
from spojka.runs.models import Run
from spojka.runs.schedule import (
    BUILT_KEY,
    SCHEDULE_KEY,
    Due,
    due,
    next_due,
    schedule_links,
)
from spojka.sync.runner import Engine
from spojka.tenants.models import Tenant
from spojka.tenants.services import SUSPENDED

log = logging.getLogger(__name__)
TICK_BUDGET = 2000
#: A link not found (its transaction not committed yet) is looked at again after this long.
RETRY_MISSING_SECONDS = 3600
#: A suspended tenant's due flow is looked at again after this long (the next tick): reactivation
#: takes effect within a minute.
SUSPENDED_RECHECK_SECONDS = 60
#: Ids per ``IN (...)`` list.
_CHUNK = 500
#: arq enqueues in flight at once (each holds a Redis connection for its WATCH/MULTI).
_ENQUEUE_CONCURRENCY = 32
_sees_every_tenant: weakref.WeakKeyDictionary[Database, bool] = weakref.WeakKeyDictionary()


def fair_order(items: list[Due]) -> list[Due]:
    """Round-robin over tenants, each tenant's items in due order."""
    by_tenant: OrderedDict[uuid.UUID, list[Due]] = OrderedDict()
    for item in items:
        by_tenant.setdefault(item.tenant_id, []).append(item)
    ordered: list[Due] = []
    while by_tenant:
        for tenant in list(by_tenant):
            queue = by_tenant[tenant]
            ordered.append(queue.pop(0))
            if not queue:
                del by_tenant[tenant]
    return ordered


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class TickPlan:
    """What a tick does with each due flow."""

    #: Due flows to run, with when each is due again.
    queue: list[tuple[Due, float]] = field(default_factory=list)
    #: Flows that are off or paused: off the schedule.
    drop: list[Due] = field(default_factory=list)
    #: Links not (yet) visible: looked at again later.
    later: list[Due] = field(default_factory=list)
    #: Flows of suspended tenants: not run, looked at again on the next tick.
    held: list[Due] = field(default_factory=list)


async def plan_runs(session: AsyncSession, items: Sequence[Due], plan: TickPlan, now: float) -> None:
    """Sort ``items`` into ``plan`` and insert a queued run for each flow to run that has none
    waiting, in the caller's transaction: a few statements, however many items."""
    links: dict[uuid.UUID, tuple[uuid.UUID, Any, bool, bool]] = {}
    for chunk in _chunks(list({i.link_id for i in items})):
        rows = await session.execute(
            select(Link.id, Link.tenant_id, Link.flows, Link.paused, Tenant.status)
            .join(Tenant, Tenant.id == Link.tenant_id)
            .where(Link.id.in_(chunk))
        )
        for link_id, tenant_id, flows, paused, status in rows.all():
            links[link_id] = (tenant_id, flows_from_document(flows), paused, status == SUSPENDED)
    to_run: list[Due] = []
    for item in items:
        found = links.get(item.link_id)
        if found is None:
            # Not committed yet, or deleted (deleting unschedules it): look again later.
            plan.later.append(item)
            continue
        tenant_id, flows, paused, suspended = found
        again = next_due(flows, item.flow, now)
        if tenant_id != item.tenant_id or paused or again is None:
            plan.drop.append(item)
            continue
        if suspended:
            plan.held.append(item)
            continue
        plan.queue.append((item, again))
        to_run.append(item)
    waiting: set[tuple[uuid.UUID, str]] = set()
    for chunk in _chunks(list({i.link_id for i in to_run})):
        rows = await session.execute(
            select(Run.link_id, Run.flow).where(Run.link_id.in_(chunk), Run.status == "queued")
        )
        waiting.update((link_id, flow) for link_id, flow in rows.all())
    queued_at = utcnow()
    new_runs = [
        {
            "id": new_id(),
            "tenant_id": item.tenant_id,
            "link_id": item.link_id,
            "flow": item.flow,
            "trigger": "schedule",
            "status": "queued",
            "queued_at": queued_at,
        }
        for item in to_run
        if (item.link_id, item.flow) not in waiting
    ]
    if new_runs:
        await session.execute(insert(Run), new_runs)


async def _can_see_every_tenant(admin_db: Database) -> bool:
    if admin_db not in _sees_every_tenant:
        _sees_every_tenant[admin_db] = await sees_every_tenant(admin_db)
    return _sees_every_tenant[admin_db]


async def rebuild_schedule(redis: Redis, admin_db: Database, *, now: float | None = None) -> int:
    """Put every link on the schedule again (after Redis lost it). A cross-tenant read: runs on
    the maintenance connection, which row-level security does not filter."""
    if not await sees_every_tenant(admin_db):
        # Row-level security would show this connection no link at all; marking the schedule
        # built would then stop every poll for good.
        msg = (
            "cannot rebuild the schedule: SPOJKA_MIGRATION_DATABASE_URL must name the owner role "
            "with BYPASSRLS (or a superuser); row-level security hides every link from this one"
        )
        raise RuntimeError(msg)
    async with admin_db.session() as session:
        links = (await session.execute(select(Link.tenant_id, Link.id, Link.flows, Link.paused))).all()
    for chunk in _chunks(links):
        await schedule_links(
            redis,
            [
                (tenant_id, link_id, flows_from_document(flows), paused)
                for tenant_id, link_id, flows, paused in chunk
            ],
            now=now,
        )
    await redis.set(BUILT_KEY, "1")
    return len(links)


async def tick(
    engine: Engine, pool: ArqRedis, admin_db: Database, *, now: float | None = None, budget: int = TICK_BUDGET
) -> int:
    """Queue what is due; returns how many flows were queued."""
    now = time.time() if now is None else now
    if not await pool.exists(BUILT_KEY):
        # Rebuilt as of this tick, so what is due now is queued by this very tick.
        rebuilt = await rebuild_schedule(pool, admin_db, now=now)
        log.info("schedule rebuilt for %d links", rebuilt)
    items = fair_order(await due(pool, now, budget))
    if not items:
        return 0
    plan = TickPlan()
    if await _can_see_every_tenant(admin_db):
        async with admin_db.session() as session:
            await plan_runs(session, items, plan, now)
    else:
        by_tenant: OrderedDict[uuid.UUID, list[Due]] = OrderedDict()
        for item in items:
            by_tenant.setdefault(item.tenant_id, []).append(item)
        for tenant_id, tenant_items in by_tenant.items():
            async with engine.db.session(tenant_id=tenant_id) as session:
                await plan_runs(session, tenant_items, plan, now)
    # The runs are committed before their jobs exist: a crash in between leaves queued runs whose
    # flows are still due, and the next tick queues their jobs.
    limit = asyncio.Semaphore(_ENQUEUE_CONCURRENCY)

    async def enqueue(item: Due) -> None:
        async with limit:
            await enqueue_flow(pool, item.tenant_id, item.link_id, item.flow)

    await asyncio.gather(*(enqueue(item) for item, _ in plan.queue))
    async with pool.pipeline(transaction=False) as pipe:
        for item, again in plan.queue:
            pipe.zadd(SCHEDULE_KEY, {item.member: again}, xx=True)
        for item in plan.later:
            pipe.zadd(SCHEDULE_KEY, {item.member: now + RETRY_MISSING_SECONDS}, xx=True)
        for item in plan.held:
            pipe.zadd(SCHEDULE_KEY, {item.member: now + SUSPENDED_RECHECK_SECONDS}, xx=True)
        if plan.drop:
            pipe.zrem(SCHEDULE_KEY, *(item.member for item in plan.drop))
        await pipe.execute()
    return len(plan.queue)


async def scheduler_tick(ctx: dict[str, Any]) -> int:
    """The cron job: every minute, on one worker at a time."""
    return await tick(ctx["engine"], ctx["redis"], ctx["admin_db"])
