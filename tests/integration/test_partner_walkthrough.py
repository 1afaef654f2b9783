"""The partner API end to end, as an integrator uses it: a token, two client tenants, a link set up
through the API for one of them, a run that the accounting side refuses, its events, and the signed
``run.failed`` notification (then ``run.recovered``), with a real arq worker draining the queue.

The accounting and e-shop sides are the in-process memory connectors (``memory-shop`` and
``memory-books``), as in ``test_engine.py``: the same connector SDK path as Shoptet and POHODA.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from spojka.connector import FatalError
from spojka.connector.registry import Registry
from spojka.connector.testing import Factory, MemoryBooks, MemoryShop, reset_systems
from spojka.db import Database
from spojka.embedded_redis import connect
from spojka.partners import events
from spojka.partners.events import MAX_ATTEMPTS, RETRY_DELAYS, verify_signature
from spojka.partners.jobs import DUE_KEY, deliver_due_events, deliver_event
from spojka.partners.models import EventDelivery
from spojka.partners.services import create_partner
from spojka.settings import Settings
from spojka.simulate import load_simulation
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import make_settings
from tests.integration.test_engine import engine_registry
from tests.support.partners import ApiPartner, EventReceiver
from tests.support.platform import drain as drain_queue
from tests.support.platform import running_app
from tests.support.servers import private_redis_url, serving

#: A Redis database of these tests' own: the queue they drain holds only their jobs (other tests
#: leave runs queued that a burst worker would otherwise take on, with their deferred retries).
PRIVATE_REDIS_DB = 13
Env = tuple[Litestar, Settings, str, Registry]


@asynccontextmanager
async def _environment(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path, registry: Registry
) -> AsyncIterator[Env]:
    """The app (lifespan started) on a private, emptied Redis database, and how to drain its queue."""
    private = private_redis_url(redis_url, PRIVATE_REDIS_DB)
    redis = connect(private)
    await redis.flushdb()
    await redis.aclose()
    settings = make_settings(test_database, tmp_path, job_timeout_seconds=60)
    async with running_app(settings, registry, private) as application:
        yield application, settings, private, registry


@pytest.fixture
async def memory_env(test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """With the in-memory shop and books."""
    reset_systems()
    async with _environment(test_database, redis_url, tmp_path, engine_registry()) as env:
        yield env
    reset_systems()


@pytest.fixture
async def simulators_env(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path
) -> AsyncIterator[Env]:
    """With the installed connectors (Shoptet, POHODA), to be pointed at their simulators."""
    async with _environment(test_database, redis_url, tmp_path, Registry.from_entry_points()) as env:
        yield env


async def drain(env: Env) -> None:
    """Run a real arq worker until the queue is empty (no cron: the tests start every run)."""
    _, settings, redis, registry = env
    await drain_queue(settings, redis, registry)


async def _partner(app: Litestar, client: httpx.AsyncClient) -> ApiPartner:
    db: Database = app.state.db
    async with db.session() as session:
        partner, made = await create_partner(session, f"Agentura {uuid.uuid4().hex[:6]}")
        return ApiPartner(client, str(partner.id), str(made.client.id), made.secret)


async def test_partner_onboards_a_client_and_is_told_when_its_run_fails(
    memory_env: Env,
) -> None:
    app = memory_env[0]
    receiver = EventReceiver()
    shop, books = MemoryShop("partner-shop"), MemoryBooks("partner-books")
    for order in Factory(seed=11).orders(3):
        shop.add_order(order)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        partner = await _partner(app, http)
        token = await partner.token_response()
        assert token.status_code == 200, token.text
        partner.access_token = token.json()["access_token"]

        first = await partner.create_tenant("Bylinkárna s.r.o.", ownerEmail="majitel@bylinkarna.cz")
        second = await partner.create_tenant("Kávovar a.s.")
        listed = (await partner.get("/partner/v1/tenants")).json()
        assert {t["id"] for t in listed["items"]} == {first["id"], second["id"]}

        with serving(receiver) as receiver_url:
            endpoint = await partner.post(
                "/partner/v1/event-endpoints",
                json={"url": f"{receiver_url}/spojka-events", "events": ["run.failed", "run.recovered"]},
            )
            assert endpoint.status_code == 201, endpoint.text
            signing_secret = endpoint.json()["signingSecret"]
            assert signing_secret not in (await partner.get("/partner/v1/event-endpoints")).text

            shop_conn = await partner.create_memory_connection(first["id"], "memory-shop", shop)
            books_conn = await partner.create_memory_connection(first["id"], "memory-books", books)
            made = await partner.post(
                "/api/v1/links",
                tenant=first["id"],
                json={
                    "name": "Shop → účetnictví",
                    "eshopConnectionId": shop_conn["id"],
                    "accountingConnectionId": books_conn["id"],
                },
            )
            assert made.status_code == 201, made.text
            link_id = made.json()["id"]

            # The accounting side refuses: the run fails, and the partner hears of it.
            books.fail_next("open", FatalError("This POHODA user has no right to import XML."))
            started = await partner.post(
                f"/api/v1/links/{link_id}/runs", tenant=first["id"], json={"flow": "orders"}
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            await drain(memory_env)

            run = (await partner.get(f"/api/v1/runs/{run_id}", tenant=first["id"])).json()
            assert run["status"] == "failed"
            assert "no right to import" in run["error"]
            run_events = await partner.get(f"/api/v1/runs/{run_id}/events", tenant=first["id"])
            assert run_events.status_code == 200

            assert len(receiver.received) == 1
            headers, body = receiver.received[0]
            assert headers["spojka-event"] == "run.failed"
            assert verify_signature(signing_secret, body, headers["spojka-signature"])
            assert not verify_signature("whsec_wrong", body, headers["spojka-signature"])
            event = json.loads(body)
            assert event["type"] == "run.failed"
            assert event["tenantId"] == first["id"]
            assert event["data"]["runId"] == run_id
            assert event["data"]["linkId"] == link_id
            assert "no right to import" in event["data"]["error"]

            # The next run gets through: run.recovered, and the orders reach the books.
            again = await partner.post(
                f"/api/v1/links/{link_id}/runs", tenant=first["id"], json={"flow": "orders"}
            )
            await drain(memory_env)
            good = (await partner.get(f"/api/v1/runs/{again.json()['id']}", tenant=first["id"])).json()
            assert good["status"] == "succeeded", good
            created = (await partner.get(f"/api/v1/runs/{good['id']}/events", tenant=first["id"])).json()
            assert created["total"] == 3
            types = [json.loads(b)["type"] for _, b in receiver.received]
            assert types == ["run.failed", "run.recovered"]

        log = (await partner.get("/partner/v1/event-deliveries")).json()
        assert [d["eventType"] for d in log["items"]] == ["run.recovered", "run.failed"]
        assert all(d["status"] == "delivered" and d["lastStatusCode"] == 204 for d in log["items"])
        assert all(d["tenantId"] == first["id"] for d in log["items"])

        # Everything the partner did is in the client's audit log, with the partner's client as actor.
        audit = (await partner.get("/api/v1/audit", tenant=first["id"])).json()["items"]
        actors = {(e["action"], e["actorType"]) for e in audit}
        for action in ("tenant.created", "connection.created", "link.created", "run.requested"):
            assert (action, "partner_client") in actors, action
        # The other client tenant saw nothing of it.
        assert (await partner.get("/api/v1/links", tenant=second["id"])).json()["total"] == 0


async def test_failed_deliveries_are_retried_with_backoff_then_given_up(
    memory_env: Env,
) -> None:
    app = memory_env[0]
    receiver = EventReceiver()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        partner = await _partner(app, http)
        tenant = await partner.create_tenant("Klient s výpadky")
        with serving(receiver) as receiver_url:
            own = await partner.post(
                "/api/v1/event-endpoints",
                tenant=tenant["id"],
                json={"url": f"{receiver_url}/hooks", "events": ["run.failed"]},
            )
            assert own.status_code == 201, own.text
            other = await partner.post(
                "/partner/v1/event-endpoints",
                json={"url": f"{receiver_url}/partner", "events": ["run.recovered"]},
            )
            assert other.status_code == 201
            db: Database = app.state.db
            made = await events.emit(db, uuid.UUID(tenant["id"]), "run.failed", {"runId": "r1"})
            assert len(made) == 1  # the partner's endpoint did not ask for run.failed
            delivery_id, tenant_id = made[0]

            ring = app.state.secret_store.ring
            receiver.answers = [500, 503]
            async with httpx.AsyncClient() as client:
                assert (
                    await events.deliver(db, ring, delivery_id, tenant_id, client=client) == RETRY_DELAYS[0]
                )
                assert (
                    await events.deliver(db, ring, delivery_id, tenant_id, client=client) == RETRY_DELAYS[1]
                )
                assert await events.deliver(db, ring, delivery_id, tenant_id, client=client) is None
                # Delivered: another attempt (a re-run job) sends nothing more.
                assert await events.deliver(db, ring, delivery_id, tenant_id, client=client) is None
            assert len(receiver.received) == 3
            ids = {h["spojka-delivery"] for h, _ in receiver.received}
            assert ids == {str(delivery_id)}
            log = (await partner.get("/api/v1/event-deliveries", tenant=tenant["id"])).json()["items"]
            assert log[0]["status"] == "delivered"
            assert log[0]["attempts"] == 3

            # An endpoint that never answers well is given up after the last attempt.
            receiver.answers = [500] * MAX_ATTEMPTS
            made = await events.emit(db, uuid.UUID(tenant["id"]), "run.failed", {"runId": "r2"})
            async with httpx.AsyncClient() as client:
                delays = [
                    await events.deliver(db, ring, made[0][0], made[0][1], client=client)
                    for _ in range(MAX_ATTEMPTS)
                ]
            assert delays == [*map(float, RETRY_DELAYS), None]
            async with db.session(tenant_id=uuid.UUID(tenant["id"])) as session:
                row = await session.get(EventDelivery, made[0][0])
                assert row is not None
                assert (row.status, row.attempts, row.last_status_code) == ("failed", MAX_ATTEMPTS, 500)


# -- the same with the Shoptet and POHODA simulators -------------------------------------------


async def test_shoptet_pohoda_link_set_up_by_a_partner_reports_a_refusing_pohoda(
    simulators_env: Env,
) -> None:
    app = simulators_env[0]
    shop_sim, books_sim = load_simulation("shoptet", seed=5), load_simulation("pohoda", seed=5)
    receiver = EventReceiver()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        partner = await _partner(app, http)
        await partner.fetch_token()
        client_tenant = await partner.create_tenant("Klient se Shoptetem a POHODOU")
        other_tenant = await partner.create_tenant("Druhý klient")
        tenant = client_tenant["id"]
        with (
            serving(shop_sim.app) as shop_url,
            serving(books_sim.app) as books_url,
            serving(receiver) as hook_url,
        ):
            endpoint = await partner.post(
                "/partner/v1/event-endpoints",
                json={"url": f"{hook_url}/events", "events": ["run.failed", "run.recovered"]},
            )
            assert endpoint.status_code == 201, endpoint.text
            signing_secret = endpoint.json()["signingSecret"]
            connections = {}
            for name, sim, url in (("shoptet", shop_sim, shop_url), ("pohoda", books_sim, books_url)):
                sim_settings, credentials = sim.connection(url)
                made = await partner.post(
                    "/api/v1/connections",
                    tenant=tenant,
                    json={
                        "connector": name,
                        "name": name,
                        "settings": dict(sim_settings),
                        "credentials": dict(credentials),
                    },
                )
                assert made.status_code == 201, made.text
                connections[name] = made.json()["id"]
            made = await partner.post(
                "/api/v1/links",
                tenant=tenant,
                json={
                    "name": "Shoptet → POHODA",
                    "eshopConnectionId": connections["shoptet"],
                    "accountingConnectionId": connections["pohoda"],
                },
            )
            assert made.status_code == 201, made.text
            link_id = made.json()["id"]

            # The simulated mServer refuses every import from now on (the user lost its rights).
            async with httpx.AsyncClient(base_url=books_url) as control:
                refused = await control.put("/_simulator/faults", json={"packError": "no_rights"})
                assert refused.status_code < 300, refused.text
            started = await partner.post(
                f"/api/v1/links/{link_id}/runs", tenant=tenant, json={"flow": "orders"}
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            await drain(simulators_env)

            run = (await partner.get(f"/api/v1/runs/{run_id}", tenant=tenant)).json()
            assert run["status"] == "failed", run
            assert "XML" in run["error"]
            run_events = await partner.get(f"/api/v1/runs/{run_id}/events", tenant=tenant)
            assert run_events.status_code == 200
            assert [json.loads(body)["type"] for _, body in receiver.received] == ["run.failed"]
            headers, body = receiver.received[0]
            assert verify_signature(signing_secret, body, headers["spojka-signature"])
            assert json.loads(body)["data"]["runId"] == run_id

            # The accountant restores the right; the partner brings the catalogue over first (POHODA
            # needs the stock cards), then the orders: the run succeeds, and the partner is told.
            async with httpx.AsyncClient(base_url=books_url) as control:
                assert (await control.delete("/_simulator/faults")).status_code < 300
            products = await partner.post(
                f"/api/v1/links/{link_id}/runs", tenant=tenant, json={"flow": "products"}
            )
            assert products.status_code == 202, products.text
            await drain(simulators_env)
            again = await partner.post(
                f"/api/v1/links/{link_id}/runs", tenant=tenant, json={"flow": "orders"}
            )
            await drain(simulators_env)
            good = (await partner.get(f"/api/v1/runs/{again.json()['id']}", tenant=tenant)).json()
            assert good["status"] in ("succeeded", "partial"), (good["error"], good["counts"])
            assert good["counts"]["created"] >= 1, good
            assert [json.loads(body)["type"] for _, body in receiver.received] == [
                "run.failed",
                "run.recovered",
            ]
        assert (await partner.get("/api/v1/links", tenant=other_tenant["id"])).json()["total"] == 0


async def test_a_failed_attempt_is_scheduled_and_retried_by_the_cron_job(memory_env: Env) -> None:
    app = memory_env[0]
    receiver = EventReceiver()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        partner = await _partner(app, http)
        tenant = await partner.create_tenant("Klient s opakováním")
        with serving(receiver) as receiver_url:
            made = await partner.post(
                "/partner/v1/event-endpoints", json={"url": f"{receiver_url}/e", "events": ["run.failed"]}
            )
            assert made.status_code == 201, made.text
            [(delivery_id, tenant_id)] = await events.emit(
                app.state.db, uuid.UUID(tenant["id"]), "run.failed", {"runId": "r3"}
            )
            ctx = {"engine": app.state.engine, "redis": app.state.queue}
            receiver.answers = [502]
            assert await deliver_event(ctx, str(delivery_id), str(tenant_id)) == "retry in 10 s"
            member = f"{delivery_id}:{tenant_id}"
            assert await app.state.queue.zscore(DUE_KEY, member) is not None
            # Not due yet: nothing is queued; once due, exactly one job is, and only once.
            assert await deliver_due_events(ctx) == 0
            later = time.time() + RETRY_DELAYS[0] + 1
            assert await deliver_due_events(ctx, now=later) == 1
            assert await deliver_due_events(ctx, now=later) == 0
            await drain(memory_env)
            assert [h["spojka-delivery"] for h, _ in receiver.received] == [str(delivery_id)] * 2
        log = (await partner.get("/partner/v1/event-deliveries")).json()["items"]
        assert (log[0]["status"], log[0]["attempts"], log[0]["lastStatusCode"]) == ("delivered", 2, 204)
