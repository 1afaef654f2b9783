"""A suspended tenant transfers nothing: the scheduler's tick queues none of its flows, its e-shop's
webhooks are answered but queue nothing, a run queued before the suspension ends as failed without
touching either system, and a partner's token cannot start a run. Reactivating it resumes the
schedule on the next tick, and nothing read while it was suspended is lost.

The app and a real arq worker use a Redis database of these tests' own, so the schedule and the
queue hold only what these tests make; the e-shop and accounting are the in-memory systems.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from spojka.connector.registry import Registry
from spojka.connector.testing import SIGNATURE_HEADER, Factory, MemoryBooks, MemoryShop, reset_systems
from spojka.db import Database
from spojka.embedded_redis import connect
from spojka.partners.services import create_partner
from spojka.queue import DEFAULT_QUEUE_NAME
from spojka.runs.models import Run
from spojka.runs.schedule import BUILT_KEY, SCHEDULE_KEY, Due
from spojka.settings import Settings
from spojka.tenants.services import SUSPENDED_RUN_ERROR
from spojka.worker.scheduler import SUSPENDED_RECHECK_SECONDS, tick
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.integration.test_engine import engine_registry
from tests.support.partners import ApiPartner, EventReceiver
from tests.support.platform import drain as drain_queue
from tests.support.platform import running_app
from tests.support.servers import private_redis_url, serving

PRIVATE_REDIS_DB = 14
PROBLEM_JSON = "application/problem+json"


class Env:
    def __init__(self, app: Litestar, settings: Settings, redis_url: str, registry: Registry) -> None:
        self.app, self.settings, self.redis_url, self.registry = app, settings, redis_url, registry
        self.admin = Database(settings.effective_migration_database_url)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async def drain(self) -> None:
        await drain_queue(self.settings, self.redis_url, self.registry)

    async def tick(self, now: float) -> int:
        return await tick(self.app.state.engine, self.app.state.queue, self.admin, now=now)

    async def runs(self, link_id: str) -> list[Run]:
        async with self.admin.session() as session:
            rows = await session.scalars(
                select(Run).where(Run.link_id == uuid.UUID(link_id)).order_by(Run.queued_at, Run.id)
            )
            return list(rows)


@pytest.fixture
async def env(test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    reset_systems()
    private = private_redis_url(redis_url, PRIVATE_REDIS_DB)
    redis = connect(private)
    await redis.flushdb()
    # Built: the schedule holds only the links these tests make (a rebuild would add every link of
    # the shared test database).
    await redis.set(BUILT_KEY, "1")
    await redis.aclose()
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=60)
    registry = engine_registry()
    async with running_app(settings, registry, private) as application:
        environment = Env(application, settings, private, registry)
        try:
            yield environment
        finally:
            await environment.http.aclose()
            await environment.admin.dispose()
            await application.state.queue.flushdb()
    reset_systems()


async def _partner(env: Env) -> ApiPartner:
    db: Database = env.app.state.db
    async with db.session() as session:
        partner, made = await create_partner(session, f"Agentura {uuid.uuid4().hex[:6]}")
        return ApiPartner(env.http, str(partner.id), str(made.client.id), made.secret)


async def _client_with_link(
    partner: ApiPartner, shop: MemoryShop, books: MemoryBooks
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A managed tenant with an e-shop and an accounting connection paired by a link."""
    tenant = (await partner.create_tenant(f"Klient {uuid.uuid4().hex[:6]}"))["id"]
    shop_conn = await partner.create_memory_connection(tenant, "memory-shop", shop)
    books_conn = await partner.create_memory_connection(tenant, "memory-books", books)
    response = await partner.post(
        "/api/v1/links",
        tenant=tenant,
        json={
            "name": "Eshop → účetnictví",
            "eshopConnectionId": shop_conn["id"],
            "accountingConnectionId": books_conn["id"],
        },
    )
    assert response.status_code == 201, response.text
    return tenant, shop_conn, response.json()


async def _set_status(partner: ApiPartner, tenant: str, action: str) -> None:
    response = await partner.post(f"/partner/v1/tenants/{tenant}/{action}")
    assert response.status_code == 200, response.text


async def test_a_suspended_tenant_queues_nothing_and_resumes_on_the_next_tick_after_reactivation(
    env: Env,
) -> None:
    shop, books = MemoryShop("shop-s1"), MemoryBooks("books-s1")
    orders = Factory(seed=21).orders(3)
    for order in orders:
        shop.add_order(order)
    partner = await _partner(env)
    tenant, shop_conn, link = await _client_with_link(partner, shop, books)
    # An active neighbour's link on the same schedule goes on as usual.
    _, _, neighbour_link = await _client_with_link(partner, MemoryShop("shop-s1n"), MemoryBooks("books-s1n"))
    await env.drain()  # the links' webhook registrations
    await _set_status(partner, tenant, "suspend")
    calls = (Counter(shop.calls), Counter(books.calls))
    queue = env.app.state.queue

    # A partner's token still reads the tenant, but cannot start a run in it.
    started = await partner.post(f"/api/v1/links/{link['id']}/runs", tenant=tenant, json={"flow": "orders"})
    assert started.status_code == 409, started.text
    assert started.headers["content-type"].startswith(PROBLEM_JSON)
    assert "suspended" in started.json()["detail"]
    assert (await partner.get(f"/api/v1/links/{link['id']}/runs", tenant=tenant)).json()["total"] == 0

    # The e-shop's webhook is answered (so the e-shop does not retry it, or switch it off), and
    # nothing is recorded or queued.
    path = shop_conn["webhookUrl"].removeprefix(env.settings.effective_public_url)
    headers, body = shop.webhook_for("order:create", orders[0].source_id)
    hook = await env.http.post(path, content=body, headers=headers)
    assert hook.status_code == 202, hook.text
    assert hook.json() == {"accepted": 0, "duplicates": 0}
    assert await env.runs(link["id"]) == []
    assert await queue.zcard(DEFAULT_QUEUE_NAME) == 0

    # The tick queues none of its flows, but keeps them on the schedule, looked at next tick.
    now = time.time() + 1
    assert await env.tick(now) == 3  # the neighbour's orders, stock and fulfilment
    assert await env.runs(link["id"]) == []
    assert len(await env.runs(neighbour_link["id"])) == 3
    assert await queue.zcard(DEFAULT_QUEUE_NAME) == 3
    member = Due(uuid.UUID(tenant), uuid.UUID(link["id"]), "orders").member
    assert await queue.zscore(SCHEDULE_KEY, member) == now + SUSPENDED_RECHECK_SECONDS
    assert await env.tick(now + SUSPENDED_RECHECK_SECONDS) == 0
    await env.drain()
    assert await env.runs(link["id"]) == []
    # Neither system was asked anything while the tenant was suspended.
    assert (shop.calls, books.calls) == calls

    # Reactivated: the next tick queues its due flows, and the orders it missed are transferred.
    await _set_status(partner, tenant, "reactivate")
    assert await env.tick(now + 2 * SUSPENDED_RECHECK_SECONDS) == 3
    await env.drain()
    runs = await env.runs(link["id"])
    assert {(r.flow, r.trigger) for r in runs} >= {("orders", "schedule"), ("fulfilment", "schedule")}
    assert all(r.status == "succeeded" for r in runs), [(r.flow, r.status, r.error) for r in runs]
    assert len(books.orders) == len(orders)


async def test_a_run_queued_before_the_suspension_ends_failed_without_touching_either_system(
    env: Env,
) -> None:
    shop, books = MemoryShop("shop-s2"), MemoryBooks("books-s2")
    for order in Factory(seed=22).orders(2):
        shop.add_order(order)
    partner = await _partner(env)
    tenant, _, link = await _client_with_link(partner, shop, books)
    await env.drain()  # the link's webhook registration
    receiver = EventReceiver()
    with serving(receiver) as receiver_url:
        endpoint = await partner.post(
            "/partner/v1/event-endpoints", json={"url": f"{receiver_url}/e", "events": ["run.failed"]}
        )
        assert endpoint.status_code == 201, endpoint.text
        started = await partner.post(
            f"/api/v1/links/{link['id']}/runs", tenant=tenant, json={"flow": "orders"}
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        await _set_status(partner, tenant, "suspend")
        calls = (Counter(shop.calls), Counter(books.calls))
        await env.drain()

        run = (await partner.get(f"/api/v1/runs/{run_id}", tenant=tenant)).json()
        assert (run["status"], run["error"]) == ("failed", SUSPENDED_RUN_ERROR)
        assert run["finishedAt"] is not None
        assert run["counts"] == {"created": 0, "updated": 0, "skipped": 0, "failed": 0}
        assert (shop.calls, books.calls) == calls
        assert books.orders == {}
        # Suspending is the partner's own doing: no run.failed notification about it.
        assert receiver.received == []
        assert (await partner.get("/partner/v1/event-deliveries")).json()["total"] == 0
        status = (await partner.get(f"/api/v1/links/{link['id']}/status", tenant=tenant)).json()
        orders_status = next(f for f in status["flows"] if f["flow"] == "orders")
        assert orders_status["failuresInRow"] == 0

        # Reactivated: a run reads on from where nothing moved the cursor, and transfers all.
        await _set_status(partner, tenant, "reactivate")
        again = await partner.post(f"/api/v1/links/{link['id']}/runs", tenant=tenant, json={"flow": "orders"})
        assert again.status_code == 202, again.text
        await env.drain()
        run = (await partner.get(f"/api/v1/runs/{again.json()['id']}", tenant=tenant)).json()
        assert (run["status"], run["counts"]["created"]) == ("succeeded", 2)
        assert len(books.orders) == 2


async def test_a_suspended_tenants_webhook_with_a_bad_signature_queues_nothing_either(env: Env) -> None:
    shop, books = MemoryShop("shop-s3"), MemoryBooks("books-s3")
    order = shop.add_order(Factory(seed=23).orders(1)[0])
    partner = await _partner(env)
    tenant, shop_conn, link = await _client_with_link(partner, shop, books)
    await _set_status(partner, tenant, "suspend")
    path = shop_conn["webhookUrl"].removeprefix(env.settings.effective_public_url)
    headers, body = shop.webhook_for("order:create", order.source_id)
    forged = await env.http.post(path, content=body, headers={**headers, SIGNATURE_HEADER: "0" * 64})
    assert forged.status_code == 202
    assert forged.json() == {"accepted": 0, "duplicates": 0}
    # A wrong token is still unknown, suspended or not.
    wrong = await env.http.post(path.rsplit("/", 1)[0] + "/not-the-token", content=body, headers=headers)
    assert wrong.status_code == 404
    assert await env.runs(link["id"]) == []

    # After reactivation the same delivery is taken (it was not recorded as seen).
    await _set_status(partner, tenant, "reactivate")
    taken = await env.http.post(path, content=body, headers=headers)
    assert taken.status_code == 202
    assert taken.json() == {"accepted": 1, "duplicates": 0}
    await env.drain()
    assert [r.trigger for r in await env.runs(link["id"])][:1] == ["webhook"]
    assert len(books.orders) == 1
