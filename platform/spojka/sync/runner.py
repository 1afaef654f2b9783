"""Executing one run: open both systems, run the flow, record the outcome.

Runs are executed at least once (a worker may die mid-run and the job is re-delivered), so a run
that is already finished is left alone, and a flow repeats safely from its bindings and cursor.

A run of a suspended tenant (suspended after the run was queued) ends before either system is
opened: failed, with :data:`~spojka.tenants.services.SUSPENDED_RUN_ERROR` for the dashboard. Its
cursors are not touched, so after reactivation the next run reads on from where the last one
stopped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy import select

from spojka.connector import ConnectorError, RetriableError
from spojka.connector.registry import Registry
from spojka.db import Database, utcnow
from spojka.links.flows import flows_from_document
from spojka.links.models import Link
from spojka.runs.models import Run
from spojka.sync.connections import open_connection
from spojka.sync.flows.base import FlowContext
from spojka.sync.flows.fulfilment import run_fulfilment
from spojka.sync.flows.orders import run_orders
from spojka.sync.flows.products import run_products
from spojka.sync.flows.stock import run_stock
from spojka.sync.recorder import RunRecorder
from spojka.tenants.services import SUSPENDED_RUN_ERROR, is_suspended
from spojka.vault import SecretStore

log = logging.getLogger(__name__)

FLOWS: dict[str, Callable[[FlowContext], Awaitable[None]]] = {
    "orders": run_orders,
    "stock": run_stock,
    "products": run_products,
    "fulfilment": run_fulfilment,
}
FINISHED = frozenset({"succeeded", "partial", "failed"})


@dataclass(frozen=True, slots=True)
class Engine:
    """What running a flow needs; built once per worker."""

    db: Database
    registry: Registry
    secrets: SecretStore
    redis: Redis | None = None
    public_url: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended: a run status, or ``gone`` when there was nothing to run (the run was
    finished by another worker, or it or its link was deleted)."""

    status: str
    #: Flows to start next on the same link (e.g. ``stock`` after ``orders`` changed accounting).
    follow_ups: frozenset[str] = frozenset()
    #: The tenant is suspended: the run was ended (failed) without touching either system. Not a
    #: failure of the flow, so it is neither alerted nor counted in the flow's health.
    suspended: bool = False


_GONE = RunResult(status="gone")
_SUSPENDED = RunResult(status="failed", suspended=True)


async def _start(engine: Engine, tenant_id: uuid.UUID, run_id: uuid.UUID) -> tuple[Run, Link] | RunResult:
    """The run, marked running, and its link; or how it ended without running (nothing to run, or
    the tenant is suspended: then it is recorded as failed here)."""
    async with engine.db.session(tenant_id=tenant_id) as session:
        run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
        if run is None or run.status in FINISHED:
            return _GONE
        link = await session.scalar(select(Link).where(Link.tenant_id == tenant_id, Link.id == run.link_id))
        if link is None:
            return _GONE
        if await is_suspended(session, tenant_id):
            now = utcnow()
            run.status = "failed"
            run.error = SUSPENDED_RUN_ERROR
            run.started_at = run.started_at or now
            run.finished_at = now
            return _SUSPENDED
        run.status = "running"
        run.attempts += 1
        run.started_at = utcnow()
        run.error = None
        # The session commits on leaving; expire_on_commit=False keeps both objects readable after.
        return run, link


async def _finish(
    engine: Engine, tenant_id: uuid.UUID, run_id: uuid.UUID, status: str, error: str | None
) -> None:
    async with engine.db.session(tenant_id=tenant_id) as session:
        run = await session.scalar(select(Run).where(Run.tenant_id == tenant_id, Run.id == run_id))
        if run is not None:
            run.status = status
            run.error = error
            run.finished_at = utcnow()


def _status(recorder: RunRecorder) -> str:
    failed = recorder.counts["failed"]
    if not failed:
        return "succeeded"
    done = recorder.counts["created"] + recorder.counts["updated"] + recorder.counts["skipped"]
    return "partial" if done else "failed"


async def execute_run(
    engine: Engine, tenant_id: uuid.UUID, run_id: uuid.UUID, *, source_ids: tuple[str, ...] = ()
) -> RunResult:
    """Run it to the end. A :class:`RetriableError` propagates (the worker retries the run);
    every other error ends the run as failed with a message for the merchant."""
    started = await _start(engine, tenant_id, run_id)
    if isinstance(started, RunResult):
        return started
    run, link = started
    if link.paused:
        await _finish(engine, tenant_id, run_id, "failed", "The link is paused; resume it to run its flows.")
        return RunResult(status="failed")
    flow = FLOWS.get(run.flow)
    if flow is None:
        await _finish(engine, tenant_id, run_id, "failed", f"The {run.flow} flow is not available yet.")
        return RunResult(status="failed")
    recorder = RunRecorder(tenant_id=tenant_id, run_id=run_id, max_skip_events=50)
    recorder.counts.update(created=run.created, updated=run.updated, skipped=run.skipped, failed=run.failed)
    assert run.started_at is not None
    try:
        async with (
            open_connection(
                engine.db,
                engine.registry,
                engine.secrets,
                tenant_id,
                link.eshop_connection_id,
                redis=engine.redis,
            ) as eshop,
            open_connection(
                engine.db,
                engine.registry,
                engine.secrets,
                tenant_id,
                link.accounting_connection_id,
                redis=engine.redis,
            ) as books,
        ):
            context = FlowContext(
                db=engine.db,
                tenant_id=tenant_id,
                link_id=link.id,
                run_id=run_id,
                flow=run.flow,
                trigger=run.trigger,
                flows=flows_from_document(link.flows),
                started_at=run.started_at,
                eshop=eshop.session,
                eshop_spec=eshop.spec,
                books=books.session,
                books_spec=books.spec,
                recorder=recorder,
                source_ids=source_ids,
            )
            await flow(context)
    except RetriableError:
        # The interrupted page is done again on retry (its bindings were not stored), so what the
        # recorder holds of it is dropped rather than counted twice.
        raise
    except ConnectorError as exc:
        async with engine.db.session(tenant_id=tenant_id) as session:
            await recorder.flush(session)
        await _finish(engine, tenant_id, run_id, "failed", exc.message)
        return RunResult(status="failed")
    except Exception:
        log.exception("run %s failed unexpectedly", run_id)
        await _finish(
            engine, tenant_id, run_id, "failed", f"Spojka failed unexpectedly (reference {run_id})."
        )
        return RunResult(status="failed")
    status = _status(recorder)
    async with engine.db.session(tenant_id=tenant_id) as session:
        await recorder.flush(session)
    await _finish(engine, tenant_id, run_id, status, None)
    follow = set(context.follow_ups)
    if run.flow == "orders" and not context.flows.stock.after_orders:
        follow.discard("stock")
    return RunResult(status=status, follow_ups=frozenset(follow))
