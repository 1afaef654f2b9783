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
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.links.services import get as get_link
from spojka.runs.models import FlowHealth, Run
from spojka.runs.schedule import SCHEDULED_FLOWS, due_times, interval_seconds

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

    def add(self, status: str, created: int, updated: int, skipped: int, failed: int) -> None:
        """Count one run."""
        self.runs += 1
        self.failed_runs += status in FAILING
        self.created += created
        self.updated += updated
        self.skipped += skipped
        self.failed += failed


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
    due = await due_times(redis, link.tenant_id, link.id)
    # The last day's counts of every flow in one aggregate: the dashboard asks every few seconds.
    failing = func.sum(case((Run.status.in_(FAILING), 1), else_=0))
    day_rows = await session.execute(
        select(
            Run.flow,
            func.count(),
            failing,
            func.sum(Run.created),
            func.sum(Run.updated),
            func.sum(Run.skipped),
            func.sum(Run.failed),
        )
        .where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.queued_at >= since)
        .group_by(Run.flow)
    )
    last_day = {
        flow: Counts(runs, failed_runs or 0, created or 0, updated or 0, skipped or 0, failed or 0)
        for flow, runs, failed_runs, created, updated, skipped, failed in day_rows.all()
    }
    for flow in SCHEDULED_FLOWS:
        base = select(Run).where(Run.tenant_id == tenant_id, Run.link_id == link_id, Run.flow == flow)
        last = await session.scalar(base.order_by(Run.queued_at.desc(), Run.id).limit(1))
        last_finished = await session.scalar(
            base.where(Run.finished_at.is_not(None)).order_by(Run.finished_at.desc(), Run.id).limit(1)
        )
        day = last_day.get(flow, Counts())
        next_at = due[flow]
        enabled = interval_seconds(flows, flow) is not None
        flow_health = health.get(flow)
        statuses.append(
            FlowStatus(
                flow=flow,
                enabled=enabled,
                state=_state(enabled, link.paused, last, last_finished),
                last_run=last,
                next_run_at=(
                    datetime.fromtimestamp(next_at, UTC)
                    if next_at is not None and enabled and not link.paused
                    else None
                ),
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
    # Plain columns, not ORM objects: thirty days of a busy link are tens of thousands of runs.
    rows = await session.execute(
        select(Run.queued_at, Run.flow, Run.status, Run.created, Run.updated, Run.skipped, Run.failed).where(
            Run.tenant_id == tenant_id, Run.link_id == link_id, Run.queued_at >= start
        )
    )
    for queued_at, flow, status, created, updated, skipped, failed in rows.all():
        totals[(queued_at.astimezone(zone).date(), flow)].add(status, created, updated, skipped, failed)
    items = sorted(
        ((day, flow, counts) for (day, flow), counts in totals.items()), key=lambda x: (x[0], x[1])
    )
    return since, until, items
