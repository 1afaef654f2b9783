"""Partner event deliveries survive Redis losing their jobs: the sweep (a cron job) queues a
delivery that is still pending and overdue again, once, under the job id every attempt uses, and
leaves alone what Redis still holds (a queued attempt, a retry waiting in ``DUE_KEY``).

The app and the arq worker use a Redis database of this module's own, flushed to play a Redis
restart without persistence. The database is shared with other tests, which may leave pending
deliveries of their own: assertions are about this test's deliveries.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from spojka.connector.registry import Registry
from spojka.db import Database, utcnow
from spojka.embedded_redis import connect
from spojka.partners import events
from spojka.partners.jobs import (
    DUE_KEY,
    SWEEP_MARGIN_SECONDS,
    deliver_event,
    delivery_job_id,
    emit_and_enqueue,
    lost_deliveries,
    sweep_lost_deliveries,
)
from spojka.partners.models import EventDelivery
from spojka.partners.services import create_partner
from spojka.settings import Settings
from spojka.worker.settings import worker_settings
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import build_registry, make_settings
from tests.support.partners import ApiPartner, EventReceiver
from tests.support.platform import drain, running_app
from tests.support.servers import private_redis_url, serving

PRIVATE_REDIS_DB = 10
#: Past the margin by less than the second retry's delay (60 s).
OVERDUE = timedelta(seconds=SWEEP_MARGIN_SECONDS + 30)


class Env:
    def __init__(self, app: Litestar, settings: Settings, redis_url: str, registry: Registry) -> None:
        self.app, self.settings, self.redis_url, self.registry = app, settings, redis_url, registry
        self.admin = Database(settings.effective_migration_database_url)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        #: What the worker hands the cron job.
        self.ctx: dict[str, Any] = {
            "engine": app.state.engine,
            "redis": app.state.queue,
            "admin_db": self.admin,
        }

    async def drain(self) -> None:
        await drain(self.settings, self.redis_url, self.registry)

    async def delivery(self, delivery_id: uuid.UUID) -> EventDelivery:
        async with self.admin.session() as session:
            row = await session.scalar(select(EventDelivery).where(EventDelivery.id == delivery_id))
            assert row is not None
            return row

    async def partner_with_endpoint(self, receiver_url: str) -> tuple[ApiPartner, list[str]]:
        """A partner with two client tenants and an endpoint for their ``run.failed`` events."""
        db: Database = self.app.state.db
        async with db.session() as session:
            partner_row, made = await create_partner(session, f"Agentura {uuid.uuid4().hex[:6]}")
        partner = ApiPartner(self.http, str(partner_row.id), str(made.client.id), made.secret)
        tenants = [(await partner.create_tenant(f"Klient {n}"))["id"] for n in range(2)]
        response = await partner.post(
            "/partner/v1/event-endpoints", json={"url": f"{receiver_url}/e", "events": ["run.failed"]}
        )
        assert response.status_code == 201, response.text
        return partner, tenants


@pytest.fixture
async def env(test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    private = private_redis_url(redis_url, PRIVATE_REDIS_DB)
    redis = connect(private)
    await redis.flushdb()
    await redis.aclose()
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=60)
    registry = build_registry()
    async with running_app(settings, registry, private) as application:
        environment = Env(application, settings, private, registry)
        try:
            yield environment
        finally:
            await environment.http.aclose()
            await environment.admin.dispose()
            await application.state.queue.flushdb()


def _sent(receiver: EventReceiver, delivery_id: uuid.UUID) -> int:
    return sum(1 for headers, _ in receiver.received if headers["spojka-delivery"] == str(delivery_id))


async def test_a_delivery_whose_job_redis_lost_is_sent_once_by_the_sweep(env: Env) -> None:
    receiver = EventReceiver()
    queue = env.app.state.queue
    with serving(receiver) as receiver_url:
        _, tenants = await env.partner_with_endpoint(receiver_url)
        tenant_id = uuid.UUID(tenants[0])
        assert await emit_and_enqueue(env.app.state.db, queue, tenant_id, "run.failed", {"runId": "r1"}) == 1
        async with env.admin.session() as session:
            delivery_id = await session.scalar(
                select(EventDelivery.id).where(EventDelivery.tenant_id == tenant_id)
            )
        assert delivery_id is not None
        job_key = f"arq:job:{delivery_job_id(str(delivery_id))}"
        assert await queue.exists(job_key)

        # Redis restarts without its data: the queued attempt is gone, the row stays pending.
        await queue.flushdb()
        await env.drain()
        assert _sent(receiver, delivery_id) == 0
        assert (await env.delivery(delivery_id)).status == "pending"

        # Not overdue by the margin yet: a slow queue, not a lost job.
        assert await sweep_lost_deliveries(env.ctx) >= 0
        assert not await queue.exists(job_key)

        later = utcnow() + OVERDUE
        assert await sweep_lost_deliveries(env.ctx, now=later) >= 1
        assert await queue.exists(job_key)
        # Swept again before the worker got to it: the attempt is queued once, not twice.
        await sweep_lost_deliveries(env.ctx, now=later)
        await env.drain()
        assert _sent(receiver, delivery_id) == 1
        delivered = await env.delivery(delivery_id)
        assert (delivered.status, delivered.attempts, delivered.last_status_code) == ("delivered", 1, 204)

        # Delivered: later sweeps send nothing more.
        await sweep_lost_deliveries(env.ctx, now=later + OVERDUE)
        assert not await queue.exists(job_key)
        await env.drain()
        assert _sent(receiver, delivery_id) == 1


async def test_the_sweep_leaves_a_retry_redis_still_holds_and_an_attempt_made_since(env: Env) -> None:
    receiver = EventReceiver()
    queue = env.app.state.queue
    with serving(receiver) as receiver_url:
        _, tenants = await env.partner_with_endpoint(receiver_url)
        tenant_id = uuid.UUID(tenants[0])
        [(delivery_id, _)] = await events.emit(env.app.state.db, tenant_id, "run.failed", {"runId": "r2"})
        receiver.answers = [502]
        assert await deliver_event(env.ctx, str(delivery_id), str(tenant_id)) == "retry in 10 s"
        member = f"{delivery_id}:{tenant_id}"
        assert await queue.zscore(DUE_KEY, member) is not None
        job_key = f"arq:job:{delivery_job_id(str(delivery_id))}"

        # Overdue, but still on the retry schedule (a backlog of deliver_due_events): left to it.
        await sweep_lost_deliveries(env.ctx, now=utcnow() + OVERDUE)
        assert not await queue.exists(job_key)

        # Lost with Redis: queued again, with the cut-off it was found overdue by.
        await queue.delete(DUE_KEY)
        swept_at = utcnow() + OVERDUE
        assert await sweep_lost_deliveries(env.ctx, now=swept_at) >= 1
        assert await queue.exists(job_key)
        # Meanwhile an attempt is made some other way and fails again: the swept job, run after
        # it, finds the delivery no longer overdue and does not send it early.
        receiver.answers = [503]
        assert await deliver_event(env.ctx, str(delivery_id), str(tenant_id)) == "retry in 60 s"
        await env.drain()
        assert _sent(receiver, delivery_id) == 2
        row = await env.delivery(delivery_id)
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, 503)


async def test_lost_deliveries_are_taken_in_turn_across_tenants(env: Env) -> None:
    with serving(EventReceiver()) as receiver_url:
        _, tenants = await env.partner_with_endpoint(receiver_url)
        busy, quiet = (uuid.UUID(t) for t in tenants)
        busy_ids = [
            (await events.emit(env.app.state.db, busy, "run.failed", {"runId": f"b{n}"}))[0][0]
            for n in range(3)
        ]
        [(quiet_id, _)] = await events.emit(env.app.state.db, quiet, "run.failed", {"runId": "q"})
        found = [d for d, _ in await lost_deliveries(env.admin, utcnow() + timedelta(seconds=1), 10_000)]
        # Every tenant's oldest lost delivery comes before any tenant's second.
        assert found.index(quiet_id) < found.index(busy_ids[1]) < found.index(busy_ids[2])
        assert found.index(busy_ids[0]) < found.index(busy_ids[1])
        # Bounded: never more than asked for.
        assert len(await lost_deliveries(env.admin, utcnow() + timedelta(seconds=1), 2)) == 2


def test_the_sweep_is_a_cron_job_whose_timeout_stays_within_the_flow_jobs(
    test_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=40)
    options = worker_settings(settings, redis_url="redis://127.0.0.1:6379/0")
    [sweep] = [job for job in options["cron_jobs"] if job.name.endswith("sweep_lost_deliveries")]
    flow_timeout = settings.job_timeout_seconds
    assert sweep.unique
    assert sweep.timeout_s is not None
    assert sweep.timeout_s <= flow_timeout
