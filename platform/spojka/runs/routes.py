"""Run history: ``/api/v1/links/{id}/runs``, ``/api/v1/runs/{id}``, ``/api/v1/runs/{id}/events``."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.db import Database
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.problems import Conflict, Invalid
from spojka.http.schemas import Input, Output, Page
from spojka.links.services import get as get_link
from spojka.runs import services, summary
from spojka.runs.enqueue import enqueue_flow
from spojka.runs.models import Run, RunEvent
from spojka.runs.schemas import RunCounts, RunEventOut, RunOut
from spojka.tenants.services import is_suspended

FlowName = Literal["orders", "stock", "products", "fulfilment", "shipments"]


def run_out(run: Run) -> RunOut:
    return RunOut(
        id=run.id,
        link_id=run.link_id,
        flow=run.flow,
        trigger=run.trigger,
        status=run.status,
        counts=RunCounts(created=run.created, updated=run.updated, skipped=run.skipped, failed=run.failed),
        queued_at=run.queued_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        error=run.error,
    )


def _event_out(e: RunEvent) -> RunEventOut:
    return RunEventOut(
        id=e.id,
        run_id=e.run_id,
        entity=e.entity,
        source_id=e.source_id,
        target_id=e.target_id,
        label=e.label,
        action=e.action,
        outcome=e.outcome,
        message=e.message,
        created_at=e.created_at,
    )


@get("/api/v1/links/{link_id:uuid}/runs", operation_id="listLinkRuns", tags=["runs"])
async def list_link_runs(
    link_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    flow: FromQuery[FlowName | None] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[RunOut]:
    """A link's runs, newest first, optionally of one flow."""
    rows, total = await services.runs_of_link(
        db_session, principal.tenant_id, link_id, flow=flow, limit=limit, offset=offset
    )
    return Page(items=[run_out(r) for r in rows], total=total, limit=limit, offset=offset)


@get("/api/v1/runs/{run_id:uuid}", operation_id="getRun", tags=["runs"])
async def get_run(
    run_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> RunOut:
    """One run with its counts and outcome."""
    return run_out(await services.get(db_session, principal.tenant_id, run_id))


@get("/api/v1/runs/{run_id:uuid}/events", operation_id="listRunEvents", tags=["runs"])
async def list_run_events(
    run_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[RunEventOut]:
    """What the run did to each record."""
    rows, total = await services.events(db_session, principal.tenant_id, run_id, limit=limit, offset=offset)
    return Page(items=[_event_out(e) for e in rows], total=total, limit=limit, offset=offset)


class RunRequest(Input):
    flow: FlowName


class RunAccepted(Output):
    id: uuid.UUID
    status: str
    #: False when a run of this flow was already waiting: its id is returned instead of a new one.
    created: bool


@post(
    "/api/v1/links/{link_id:uuid}/runs",
    operation_id="startRun",
    tags=["runs"],
    status_code=HTTP_202_ACCEPTED,
    opt={"answers": (409,)},
)
async def start_run(
    request: Request[Any, Any, Any],
    link_id: FromPath[uuid.UUID],
    data: JSONBody[RunRequest],
    principal: NamedDependency[Principal],
) -> RunAccepted:
    """Run a flow now. Answers at once; the run's progress is at ``GET /api/v1/runs/{id}``."""
    db: Database = request.app.state.db
    async with db.session(tenant_id=principal.tenant_id, user_id=principal.user_id) as session:
        link = await get_link(session, principal.tenant_id, link_id)
        # 409 (already a documented answer) while the company is suspended: a partner's token may
        # still act in a suspended client tenant, but nothing is transferred for it.
        if await is_suspended(session, principal.tenant_id):
            raise Conflict("The company is suspended: its flows do not run until it is reactivated.")
        if link.paused:
            raise Conflict("The link is paused. Resume it to run its flows.")
        run, created = await services.request_run(session, principal.tenant_id, link_id, data.flow, "manual")
        await record(
            session, principal, "run.requested", "run", run.id, {"flow": data.flow, "linkId": str(link_id)}
        )
        run_id, status = run.id, run.status
    # Committed before it is queued, so the worker always finds the run it is asked to do.
    await enqueue_flow(request.app.state.queue, principal.tenant_id, link_id, data.flow)
    return RunAccepted(id=run_id, status=status, created=created)


class DayCounts(Output):
    runs: int
    failed_runs: int
    created: int
    updated: int
    skipped: int
    failed: int


class FlowStatusOut(Output):
    flow: str
    enabled: bool
    #: healthy | failing | paused | running | idle (never run) | disabled
    state: str
    last_run: RunOut | None
    #: When the scheduler next starts it (None: off, paused, or not on the schedule yet).
    next_run_at: datetime | None
    failures_in_row: int
    last_error: str | None
    #: Runs queued in the last 24 hours, summed.
    last_day: DayCounts


class LinkStatusOut(Output):
    link_id: uuid.UUID
    paused: bool
    flows: list[FlowStatusOut]


class DailyCountsOut(Output):
    day: date
    flow: str
    runs: int
    failed_runs: int
    created: int
    updated: int
    skipped: int
    failed: int


class LinkDailyOut(Output):
    link_id: uuid.UUID
    time_zone: str
    since: date
    until: date
    #: One item per day and flow that had runs, oldest first.
    items: list[DailyCountsOut]


def _day_counts(c: summary.Counts) -> DayCounts:
    return DayCounts(
        runs=c.runs,
        failed_runs=c.failed_runs,
        created=c.created,
        updated=c.updated,
        skipped=c.skipped,
        failed=c.failed,
    )


@get("/api/v1/links/{link_id:uuid}/status", operation_id="getLinkStatus", tags=["runs"])
async def get_link_status(
    request: Request[Any, Any, Any],
    link_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> LinkStatusOut:
    """Each flow of a link at a glance: state, last run, next scheduled run, the last day's counts."""
    link, flows = await summary.link_status(
        db_session, request.app.state.redis, principal.tenant_id, link_id, datetime.now(UTC)
    )
    return LinkStatusOut(
        link_id=link.id,
        paused=link.paused,
        flows=[
            FlowStatusOut(
                flow=f.flow,
                enabled=f.enabled,
                state=f.state,
                last_run=run_out(f.last_run) if f.last_run else None,
                next_run_at=f.next_run_at,
                failures_in_row=f.failures_in_row,
                last_error=f.last_error,
                last_day=_day_counts(f.last_day),
            )
            for f in flows
        ],
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Unknown time zone {name!r}: use an IANA name such as Europe/Prague.") from None


@get(
    "/api/v1/links/{link_id:uuid}/daily",
    operation_id="getLinkDailyCounts",
    tags=["runs"],
    opt={"answers": (422,)},
)
async def get_link_daily_counts(
    link_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    days: Annotated[int, Parameter(ge=1, le=90, description="How many days back, today included.")] = 30,
    time_zone: Annotated[
        str,
        QueryParameter(name="timeZone", max_length=64, description="IANA time zone the days are counted in."),
    ] = "Europe/Prague",
) -> LinkDailyOut:
    """A link's runs summed per day and flow (records created, updated, skipped, failed; failed runs),
    for charts of the last days."""
    since, until, items = await summary.daily_counts(
        db_session, principal.tenant_id, link_id, days=days, zone=_zone(time_zone), now=datetime.now(UTC)
    )
    return LinkDailyOut(
        link_id=link_id,
        time_zone=time_zone,
        since=since,
        until=until,
        items=[
            DailyCountsOut(
                day=day,
                flow=flow,
                runs=c.runs,
                failed_runs=c.failed_runs,
                created=c.created,
                updated=c.updated,
                skipped=c.skipped,
                failed=c.failed,
            )
            for day, flow, c in items
        ],
    )


ROUTES = [
    list_link_runs,
    get_run,
    list_run_events,
    start_run,
    get_link_status,
    get_link_daily_counts,
]
