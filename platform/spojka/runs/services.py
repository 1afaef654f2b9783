"""Reading runs and their events."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.http.problems import NotFound
from spojka.links.services import get as get_link
from spojka.runs.models import Run, RunEvent


async def runs_of_link(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    link_id: uuid.UUID,
    *,
    flow: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Run], int]:
    await get_link(session, tenant_id, link_id)
    where = [Run.tenant_id == tenant_id, Run.link_id == link_id]
    if flow:
        where.append(Run.flow == flow)
    total = await session.scalar(select(func.count()).select_from(Run).where(*where)) or 0
    rows = await session.scalars(
        select(Run).where(*where).order_by(Run.queued_at.desc(), Run.id).limit(limit).offset(offset)
    )
    return list(rows), total


async def get(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
    if run is None:
        raise NotFound("No such run.")
    return run


async def events(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[RunEvent], int]:
    await get(session, tenant_id, run_id)
    where = [RunEvent.tenant_id == tenant_id, RunEvent.run_id == run_id]
    total = await session.scalar(select(func.count()).select_from(RunEvent).where(*where)) or 0
    rows = await session.scalars(
        select(RunEvent).where(*where).order_by(RunEvent.created_at, RunEvent.id).limit(limit).offset(offset)
    )
    return list(rows), total


ACTIVE = ("queued", "running")


async def active_run(
    session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str
) -> Run | None:
    """The queued or running run of this link and flow, if any (oldest first)."""
    return await session.scalar(
        select(Run)
        .where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.flow == flow, Run.status.in_(ACTIVE))
        .order_by(Run.queued_at, Run.id)
        .limit(1)
    )


async def request_run(
    session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str, trigger: str
) -> tuple[Run, bool]:
    """A queued run for this link and flow: the one already waiting, or a new one (``True``).

    A run already *running* does not count: it reads only changes made before it started, so a
    request during it (a webhook, say) gets a run of its own that follows it.
    """
    existing = await session.scalar(
        select(Run)
        .where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.flow == flow, Run.status == "queued")
        .order_by(Run.queued_at, Run.id)
        .limit(1)
    )
    if existing is not None:
        return existing, False
    run = Run(tenant_id=tenant_id, link_id=link_id, flow=flow, trigger=trigger, status="queued")
    session.add(run)
    await session.flush()
    return run, True
