"""The ``run_flow`` job: runs every queued run of one link's flow, one at a time.

The job id is per link and flow (``spojka.runs.enqueue.flow_job_id``), and a lock with an owner
token keeps a re-delivered job (arq runs jobs at least once) from running beside a live one. A
tenant never runs more than ``max_runs_per_tenant`` flows at once, so one busy merchant cannot
starve the others.

A run of a tenant suspended since it was queued ends at once as failed ("The company is
suspended; nothing was transferred."), without opening either system; it sends no alert or event,
since the partner suspended the company on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import Any

from arq import Retry
from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import select

from spojka.connector import RetriableError
from spojka.db import utcnow
from spojka.notifications.flow_alerts import notify
from spojka.partners.jobs import emit_run_outcome
from spojka.runs.enqueue import enqueue_flow
from spojka.runs.models import Run
from spojka.runs.services import active_run, request_run
from spojka.settings import Settings
from spojka.sync.runner import Engine, execute_run
from spojka.worker.slots import TenantSlots

log = logging.getLogger(__name__)
LOCK_PREFIX = "spojka:lock:flow:"


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Exponential with full jitter, at least what the remote asked for, at most 10 minutes."""
    base = min(600.0, 5.0 * 2 ** max(0, attempt - 1))
    return min(600.0, max(retry_after or 0.0, random.uniform(base / 2, base)))  # noqa: S311 (jitter, not security)


async def _set_status(
    engine: Engine, tenant_id: uuid.UUID, run_id: uuid.UUID, status: str, error: str
) -> None:
    async with engine.db.session(tenant_id=tenant_id) as session:
        run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
        if run is not None:
            run.status = status
            run.error = error
            if status == "failed":
                run.finished_at = utcnow()


async def _continue_later(engine: Engine, tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """A long run split across jobs: queued again, and the split is not counted as a failed attempt."""
    async with engine.db.session(tenant_id=tenant_id) as session:
        run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
        if run is not None:
            run.status = "queued"
            run.attempts = max(0, run.attempts - 1)
            run.error = "A long run: it goes on in a new job."


async def _next_run(
    engine: Engine, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str
) -> tuple[uuid.UUID, int] | None:
    async with engine.db.session(tenant_id=tenant_id) as session:
        run = await active_run(session, tenant_id, link_id, flow)
        return (run.id, run.attempts) if run is not None else None


async def _follow_up(
    engine: Engine, pool: ArqRedis, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str
) -> None:
    async with engine.db.session(tenant_id=tenant_id) as session:
        await request_run(session, tenant_id, link_id, flow, "after:orders")
    await enqueue_flow(pool, tenant_id, link_id, flow)


async def run_flow(ctx: dict[str, Any], tenant: str, link: str, flow: str) -> str:
    """Run the queued runs of ``flow`` on ``link``; arq retries it on temporary trouble."""
    engine: Engine = ctx["engine"]
    settings: Settings = ctx["settings"]
    redis: Redis = ctx["redis"]
    tenant_id, link_id = uuid.UUID(tenant), uuid.UUID(link)
    lock = redis.lock(
        f"{LOCK_PREFIX}{link_id}:{flow}", timeout=settings.job_timeout_seconds + 30, blocking_timeout=0
    )
    if not await lock.acquire():
        raise Retry(defer=random.uniform(2, 6))  # noqa: S311
    slots = TenantSlots(redis, limit=settings.max_runs_per_tenant, ttl=settings.job_timeout_seconds + 30)
    token = await slots.acquire(tenant_id)
    if token is None:
        await lock.release()
        raise Retry(defer=random.uniform(3, 10))  # noqa: S311
    done = 0
    try:
        while (pending := await _next_run(engine, tenant_id, link_id, flow)) is not None:
            run_id, attempts = pending
            if attempts >= settings.max_run_attempts:
                await _set_status(
                    engine,
                    tenant_id,
                    run_id,
                    "failed",
                    f"Stopped after {attempts} attempts; the last one did not finish.",
                )
                continue
            try:
                # arq treats its own job timeout as final; stop a little earlier and go on in a
                # fresh job instead (pages already stored are not done again).
                async with asyncio.timeout(max(1.0, settings.job_timeout_seconds * 0.85)):
                    result = await execute_run(engine, tenant_id, run_id)
            except TimeoutError:
                await _continue_later(engine, tenant_id, run_id)
                raise Retry(defer=0.5) from None
            except RetriableError as exc:
                if attempts + 1 >= settings.max_run_attempts:
                    await _set_status(
                        engine,
                        tenant_id,
                        run_id,
                        "failed",
                        f"Gave up after {attempts + 1} attempts: {exc.message}",
                    )
                    await emit_run_outcome(ctx, tenant_id, link_id, flow, run_id)
                    await notify(engine.db, ctx["mailer"], settings, tenant_id, link_id, flow, run_id)
                    continue
                delay = backoff_seconds(attempts + 1, exc.retry_after)
                await _set_status(
                    engine, tenant_id, run_id, "queued", f"Will try again in {delay:.0f} s: {exc.message}"
                )
                raise Retry(defer=delay) from exc
            if result.suspended:
                # Ended without touching either system: no alert, no event, no follow-up.
                continue
            done += 1
            await emit_run_outcome(ctx, tenant_id, link_id, flow, run_id)
            await notify(engine.db, ctx["mailer"], settings, tenant_id, link_id, flow, run_id)
            for follow in sorted(result.follow_ups):
                await _follow_up(engine, ctx["redis"], tenant_id, link_id, follow)
    finally:
        await slots.release(tenant_id, token)
        try:
            await lock.release()
        except Exception:  # the lock may have expired under a very long run; it was ours, so nothing to undo
            log.warning("flow lock for %s/%s had expired before release", link_id, flow)
    return f"{done} run(s)"
