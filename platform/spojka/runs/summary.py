"""What the dashboard shows of a link at a glance: each flow's state, last and next run, the last
day's counts; and per-day counts for its charts. Read-only, computed from runs, flow health and
the schedule."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.links.services import get as get_link
from spojka.runs.models import FlowHealth, Run
from spojka.runs.schedule import SCHEDULE_KEY, SCHEDULED_FLOWS, Due, interval_seconds

ACTIVE = ("queued", "running")
FAILING = ("failed", "partial")


@dataclass
class Counts:
    runs: int = 0
    failed_runs: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, run: Run) -> None:
        self.runs += 1
        self.failed_runs += run.status in FAILING
        self.created += run.created
        self.updated += run.updated
        self.skipped += run.skipped
        self.failed += run.failed


@dataclass
class FlowStatus:
    flow: str
    enabled: bool
    state: str
    last_run: Run | None
    next_run_at: datetime | None
    failures_in_row: int
    last_error: str | None
    last_day: Counts = field(default_factory=Counts)


def _state(enabled: bool, paused: bool, last: Run | None, last_finished: Run | None) -> str:
    if not enabled:
        return "disabled"
    if paused:
        return "paused"
    if last is not None and last.status in ACTIVE:
        return "running"
    if last_finished is None:
        return "idle"
    return "failing" if last_finished.status in FAILING else "healthy"


async def _next_runs(redis: Redis, link: Link) -> dict[str, datetime | None]:
    """When the scheduler will next start each flow (the schedule's due times)."""
    members = [Due(link.tenant_id, link.id, flow).member for flow in SCHEDULED_FLOWS]
    async with redis.pipeline(transaction=False) as pipe:
        for member in members:
            pipe.zscore(SCHEDULE_KEY, member)
        scores = await pipe.execute()
    return {
        flow: None if score is None else datetime.fromtimestamp(float(score), UTC)
        for flow, score in zip(SCHEDULED_FLOWS, scores, strict=True)
    }


async def link_status(
    session: AsyncSession, redis: Redis, tenant_id: uuid.UUID, link_id: uuid.UUID, now: datetime
) -> tuple[Link, list[FlowStatus]]:
    link = await get_link(session, tenant_id, link_id)
    flows = flows_from_document(link.flows)
    since = now - timedelta(days=1)
    statuses = []
    health = {
        h.flow: h
        for h in await session.scalars(
            select(FlowHealth).where(FlowHealth.tenant_id == tenant_id, FlowHealth.link_id == link_id)
        )
    }
    next_runs = await _next_runs(redis, link)
    for flow in SCHEDULED_FLOWS:
        base = select(Run).where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.flow == flow)
        last = await session.scalar(base.order_by(Run.queued_at.desc(), Run.id).limit(1))
        last_finished = await session.scalar(
            base.where(Run.finished_at.is_not(None)).order_by(Run.finished_at.desc(), Run.id).limit(1)
        )
        day = Counts()
        for run in await session.scalars(base.where(Run.queued_at >= since)):
            day.add(run)
        enabled = interval_seconds(flows, flow) is not None
        flow_health = health.get(flow)
        statuses.append(
            FlowStatus(
                flow=flow,
                enabled=enabled,
                state=_state(enabled, link.paused, last, last_finished),
                last_run=last,
                next_run_at=next_runs[flow] if enabled and not link.paused else None,
                failures_in_row=flow_health.failures_in_row if flow_health else 0,
                last_error=flow_health.last_error if flow_health and flow_health.failures_in_row else None,
                last_day=day,
            )
        )
    return link, statuses


async def daily_counts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    link_id: uuid.UUID,
    *,
    days: int,
    zone: ZoneInfo,
    now: datetime,
) -> tuple[date, date, list[tuple[date, str, Counts]]]:
    """Runs of the last ``days`` days (today included, in ``zone``) summed per day and flow."""
    await get_link(session, tenant_id, link_id)
    until = now.astimezone(zone).date()
    since = until - timedelta(days=days - 1)
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    totals: dict[tuple[date, str], Counts] = defaultdict(Counts)
    rows = await session.scalars(
        select(Run).where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.queued_at >= start)
    )
    for run in rows:
        totals[(run.queued_at.astimezone(zone).date(), run.flow)].add(run)
    items = sorted(
        ((day, flow, counts) for (day, flow), counts in totals.items()), key=lambda x: (x[0], x[1])
    )
    return since, until, items
