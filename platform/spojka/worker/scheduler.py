"""The scheduler tick: queue the flows that are due, fairly across tenants.

Every worker runs the tick each minute; arq's unique cron job id keeps two from overlapping. Due
flows are taken round-robin by tenant, so one tenant with a thousand links waits its turn behind
the others instead of filling the queue.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from typing import Any

from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import select

from spojka.db import Database
from spojka.db.roles import sees_every_tenant
from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.runs.enqueue import enqueue_flow
from spojka.runs.schedule import (
    BUILT_KEY,
    SCHEDULE_KEY,
    Due,
    due,
    interval_seconds,
    reschedule,
    schedule_link,
)
from spojka.runs.services import request_run
from spojka.sync.runner import Engine

log = logging.getLogger(__name__)
TICK_BUDGET = 2000


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
    count = 0
    async with admin_db.session() as session:
        links = (await session.execute(select(Link.tenant_id, Link.id, Link.flows, Link.paused))).all()
    for tenant_id, link_id, flows, paused in links:
        await schedule_link(redis, tenant_id, link_id, flows_from_document(flows), paused=paused, now=now)
        count += 1
    await redis.set(BUILT_KEY, "1")
    return count


async def tick(
    engine: Engine, pool: ArqRedis, admin_db: Database, *, now: float | None = None, budget: int = TICK_BUDGET
) -> int:
    """Queue what is due; returns how many flows were queued."""
    now = time.time() if now is None else now
    if not await pool.exists(BUILT_KEY):
        # Rebuilt as of this tick, so what is due now is queued by this very tick.
        rebuilt = await rebuild_schedule(pool, admin_db, now=now)
        log.info("schedule rebuilt for %d links", rebuilt)
    queued = 0
    for item in fair_order(await due(pool, now, budget)):
        async with engine.db.session(tenant_id=item.tenant_id) as session:
            link = await session.scalar(
                select(Link).where(Link.tenant_id == item.tenant_id, Link.id == item.link_id)
            )
            if link is None:
                # Not committed yet, or deleted (deleting unschedules it): look again later.
                await reschedule(pool, item, now + 3600)
                continue
            interval = interval_seconds(flows_from_document(link.flows), item.flow)
            if link.paused or interval is None:
                await pool.zrem(SCHEDULE_KEY, item.member)
                continue
            await request_run(session, item.tenant_id, item.link_id, item.flow, "schedule")
        await enqueue_flow(pool, item.tenant_id, item.link_id, item.flow)
        await reschedule(pool, item, now + interval)
        queued += 1
    return queued


async def scheduler_tick(ctx: dict[str, Any]) -> int:
    """The cron job: every minute, on one worker at a time."""
    return await tick(ctx["engine"], ctx["redis"], ctx["admin_db"])
