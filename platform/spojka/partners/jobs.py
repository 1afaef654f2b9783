"""The worker side of event notifications: the ``deliver_event`` job, the cron job that hands due
retries back to it, and the hook that turns a finished run into ``run.failed`` / ``run.recovered``
(called by ``worker.flow_job``).

A retry is not an arq job deferred for hours (that would sit in the queue, and a burst worker would
wait for it): a failed attempt puts the delivery in a Redis sorted set scored by its next attempt's
time, and ``deliver_due_events`` (every minute) queues the ones that are due.

Redis may lose that set and the queued jobs with it (a restart without persistence; the platform
is built to survive it, as the scheduler rebuilds its schedule). The database is the outbox, so
``sweep_lost_deliveries`` (every few minutes) re-queues deliveries still ``pending`` whose next
attempt is overdue by ``SWEEP_MARGIN_SECONDS``: far more than the minute ``deliver_due_events``
takes, so only a delivery that Redis no longer holds is that late. It queues them under the same
job id as every other attempt, so an attempt still queued or running is never doubled, and
skips those still waiting in the retry set (a backlog, not a loss). Each job it queues carries the
cut-off it used, and an attempt made since (now waiting for a later retry) is not sent early.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from arq.connections import ArqRedis
from sqlalchemy import func, select

from spojka.db import Database, utcnow
from spojka.db.roles import sees_every_tenant
from spojka.links.models import Link
from spojka.partners.events import DELIVER_EVENT_JOB, deliver, emit
from spojka.partners.models import EventDelivery
from spojka.queue import DEFAULT_QUEUE_NAME, key
from spojka.runs.models import FlowHealth, Run
from spojka.sync.runner import Engine

log = logging.getLogger(__name__)

#: Deliveries waiting for a retry: member ``<delivery id>:<tenant id>``, score the unix time it is due.
DUE_KEY = key("events", "due")
#: At most this many retries are queued per minute (the rest wait for the next minute).
DUE_BATCH = 500
#: A pending delivery whose next attempt is overdue by this long has lost its job (or its place in
#: ``DUE_KEY``) with Redis: the sweep queues it again.
SWEEP_MARGIN_SECONDS = 600
#: At most this many lost deliveries are queued per sweep, taken round-robin across tenants.
SWEEP_BATCH = 500


async def deliver_event(ctx: dict[str, Any], delivery: str, tenant: str, due_by: float | None = None) -> str:
    """One delivery attempt; a failed one is put on the retry schedule for ``deliver_due_events``.

    ``due_by`` (a Unix time, set by ``sweep_lost_deliveries``): attempt only if the delivery's next
    attempt was due by then."""
    engine: Engine = ctx["engine"]
    async with httpx.AsyncClient() as client:
        delay = await deliver(
            engine.db,
            engine.secrets.ring,
            uuid.UUID(delivery),
            uuid.UUID(tenant),
            client=client,
            due_by=None if due_by is None else datetime.fromtimestamp(due_by, UTC),
        )
    if delay is None:
        return "done"
    redis: ArqRedis = ctx["redis"]
    await redis.zadd(DUE_KEY, {f"{delivery}:{tenant}": time.time() + delay})
    return f"retry in {delay:.0f} s"


async def deliver_due_events(ctx: dict[str, Any], *, now: float | None = None) -> int:
    """The cron job: queue the deliveries whose retry is due; returns how many were queued."""
    redis: ArqRedis = ctx["redis"]
    now = time.time() if now is None else now
    queued = 0
    for raw in await redis.zrangebyscore(DUE_KEY, 0, now, start=0, num=DUE_BATCH):
        member = raw.decode() if isinstance(raw, bytes) else str(raw)
        # ZREM is the claim: of two workers' ticks, only one queues each retry.
        if not await redis.zrem(DUE_KEY, member):
            continue
        delivery, _, tenant = member.partition(":")
        if not await _enqueue(redis, delivery, tenant):
            # Its previous attempt is still queued or running: look again in a minute.
            await redis.zadd(DUE_KEY, {member: now + 60})
            continue
        queued += 1
    return queued


def delivery_job_id(delivery: str) -> str:
    """One queued-or-running attempt per delivery, whoever queues it."""
    return f"spojka:event:{delivery}"


async def _enqueue(pool: ArqRedis, delivery: str, tenant: str, *args: Any) -> bool:
    job = await pool.enqueue_job(
        DELIVER_EVENT_JOB,
        delivery,
        tenant,
        *args,
        _job_id=delivery_job_id(delivery),
        _queue_name=DEFAULT_QUEUE_NAME,
    )
    return job is not None


async def lost_deliveries(
    admin_db: Database, cutoff: datetime, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``(delivery id, tenant id)`` of pending deliveries due before ``cutoff``, at most ``limit``,
    fair across tenants: every tenant's oldest first, then every tenant's second, and so on.

    A cross-tenant read, on the maintenance connection (which row-level security does not filter).
    """
    rank = (
        func.row_number()
        .over(
            partition_by=EventDelivery.tenant_id,
            order_by=(EventDelivery.next_attempt_at, EventDelivery.id),
        )
        .label("rank")
    )
    overdue = (
        select(EventDelivery.id, EventDelivery.tenant_id, EventDelivery.next_attempt_at, rank)
        .where(
            EventDelivery.status == "pending",
            EventDelivery.next_attempt_at < cutoff,
            EventDelivery.tenant_id.is_not(None),
        )
        .subquery()
    )
    query = (
        select(overdue.c.id, overdue.c.tenant_id)
        .where(overdue.c.rank <= limit)
        .order_by(overdue.c.rank, overdue.c.next_attempt_at, overdue.c.id)
        .limit(limit)
    )
    async with admin_db.session() as session:
        rows = (await session.execute(query)).all()
    return [(delivery_id, tenant_id) for delivery_id, tenant_id in rows if tenant_id is not None]


async def sweep_lost_deliveries(
    ctx: dict[str, Any], *, now: datetime | None = None, limit: int = SWEEP_BATCH
) -> int:
    """The cron job: queue again the pending deliveries Redis lost; returns how many were queued."""
    admin_db: Database = ctx["admin_db"]
    redis: ArqRedis = ctx["redis"]
    if not await sees_every_tenant(admin_db):
        log.error(
            "cannot sweep lost event deliveries: SPOJKA_MIGRATION_DATABASE_URL must name the owner "
            "role with BYPASSRLS (or a superuser); row-level security hides every delivery from this one"
        )
        return 0
    cutoff = (now or utcnow()) - timedelta(seconds=SWEEP_MARGIN_SECONDS)
    found = await lost_deliveries(admin_db, cutoff, limit)
    if not found:
        return 0
    async with redis.pipeline(transaction=False) as pipe:
        for delivery_id, tenant_id in found:
            pipe.zscore(DUE_KEY, f"{delivery_id}:{tenant_id}")
        waiting = await pipe.execute()
    queued = 0
    for (delivery_id, tenant_id), score in zip(found, waiting, strict=True):
        if score is not None:
            # Still on the retry schedule (a backlog): deliver_due_events queues it.
            continue
        if await _enqueue(redis, str(delivery_id), str(tenant_id), cutoff.timestamp()):
            queued += 1
    if queued:
        log.warning("re-queued %d event deliveries that Redis had lost", queued)
    return queued


async def enqueue_deliveries(pool: ArqRedis, deliveries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    for delivery_id, tenant_id in deliveries:
        await _enqueue(pool, str(delivery_id), str(tenant_id))


async def emit_and_enqueue(
    db: Database, pool: ArqRedis, tenant_id: uuid.UUID, event_type: str, data: dict[str, Any]
) -> int:
    """Record the event's deliveries, then queue them (after the commit, so the job finds them)."""
    deliveries = await emit(db, tenant_id, event_type, data)
    await enqueue_deliveries(pool, deliveries)
    return len(deliveries)


async def emit_run_outcome(
    ctx: dict[str, Any], tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str, run_id: uuid.UUID
) -> None:
    """``run.failed`` for every failed run; ``run.recovered`` for the first good run after failures.

    Called before the flow's health is updated (``notifications.flow_alerts``), so the failures in
    a row it reads are those before this run. Never raises: a notification must not fail a run.
    """
    engine: Engine = ctx["engine"]
    try:
        async with engine.db.session(tenant_id=tenant_id) as session:
            run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
            if run is None:
                return
            before = await session.scalar(
                select(FlowHealth.failures_in_row).where(
                    FlowHealth.tenant_id == tenant_id, FlowHealth.link_id == link_id, FlowHealth.flow == flow
                )
            )
            link_name = await session.scalar(
                select(Link.name).where(Link.tenant_id == tenant_id, Link.id == link_id)
            )
            data: dict[str, Any] = {
                "runId": str(run.id),
                "linkId": str(link_id),
                "linkName": link_name,
                "flow": flow,
                "trigger": run.trigger,
                "status": run.status,
                "counts": {
                    "created": run.created,
                    "updated": run.updated,
                    "skipped": run.skipped,
                    "failed": run.failed,
                },
                "error": run.error,
                "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
            }
            status = run.status
        if status == "failed":
            data["failuresInRow"] = (before or 0) + 1
            await emit_and_enqueue(engine.db, ctx["redis"], tenant_id, "run.failed", data)
        elif status in ("succeeded", "partial") and (before or 0) > 0:
            data["failuresBefore"] = before
            await emit_and_enqueue(engine.db, ctx["redis"], tenant_id, "run.recovered", data)
    except Exception:
        log.exception("events of run %s could not be queued", run_id)


async def emit_connection_attention(
    db: Database,
    pool: ArqRedis,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    *,
    name: str,
    connector: str,
    message: str,
) -> None:
    """``connection.needs_attention``: a connection that worked stopped working (its check fails,
    or the e-shop refused webhooks). Never raises: telling must not break what it reports on."""
    data = {"connectionId": str(connection_id), "name": name, "connector": connector, "message": message}
    try:
        await emit_and_enqueue(db, pool, tenant_id, "connection.needs_attention", data)
    except Exception:
        log.exception("connection.needs_attention for %s could not be queued", connection_id)
