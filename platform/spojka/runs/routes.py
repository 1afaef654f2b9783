"""Run history: ``/api/v1/links/{id}/runs``, ``/api/v1/runs/{id}``, ``/api/v1/runs/{id}/events``."""

from __future__ import annotations

import uuid
from typing import Literal

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.auth.principal import Principal
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.schemas import Page
from spojka.runs import services
from spojka.runs.models import Run, RunEvent
from spojka.runs.schemas import RunCounts, RunEventOut, RunOut

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


ROUTES = [list_link_runs, get_run, list_run_events]
