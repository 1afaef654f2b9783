"""Run history: ``/api/v1/links/{id}/runs``, ``/api/v1/runs/{id}``, ``/api/v1/runs/{id}/events``."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.db import Database
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.problems import Conflict
from spojka.http.schemas import Input, Output, Page
from spojka.links.services import get as get_link
from spojka.runs import services
from spojka.runs.enqueue import enqueue_flow
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


ROUTES = [list_link_runs, get_run, list_run_events, start_run]
