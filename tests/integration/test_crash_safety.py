"""Nothing lost, nothing twice: real ``spojka worker`` processes killed, Redis wiped, connections
dropped after the remote committed.

The e-shop and the books live in this test process (``MemoryShop`` / ``MemoryBooks``) behind a real
HTTP façade (``tests.support.remote_memory``); the API runs here too, in-process. The worker is
``python -m spojka worker`` in a subprocess that reaches the systems over loopback HTTP through
the ``remote-shop`` / ``remote-books`` connectors, the database through the same URLs, and the
queue through Redis, exactly as a deployed worker would. A SIGKILL therefore leaves behind what a
crashed machine leaves: a half-done run, an arq job marked in progress, a flow lock and a tenant
slot nobody will release, and perhaps a write the remote committed while nobody waited for its
answer.

The random parts (kill times) come from one seed, printed with every failure; set
``SPOJKA_TEST_CRASH_SEED`` to replay another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from spojka.connector import RetriableError
from spojka.connector.registry import Registry
from spojka.connector.testing import Factory, MemoryBooks, MemoryShop, reset_systems
from spojka.db import Database
from spojka.embedded_redis import EmbeddedRedis, connect
from spojka.queue import DEFAULT_QUEUE_NAME, create_queue_pool
from spojka.runs.enqueue import flow_job_id
from spojka.runs.models import Run
from spojka.runs.schedule import BUILT_KEY, SCHEDULE_KEY, SCHEDULED_FLOWS, Due
from spojka.settings import Settings
from spojka.sync.runner import Engine
from spojka.vault import SecretStore, load_key_ring
from spojka.worker.flow_job import LOCK_PREFIX
from spojka.worker.scheduler import tick
from spojka.worker.slots import PREFIX as SLOTS_PREFIX
from tests.conftest import (
    PG_URL,
    DatabaseUnderTest,
    new_database_name,
    owner_url_for,
    runtime_url_for,
    sqlite_url,
)
from tests.integration.conftest import KEY_ENTRY, make_settings
from tests.support.api import ApiUser
from tests.support.databases import autocommit
from tests.support.platform import running_app
from tests.support.remote_memory import MemoryFacade, remote_books, remote_shop

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_MODULES = "tests.support.remote_memory:remote_shop,tests.support.remote_memory:remote_books"
SEED = int(os.environ.get("SPOJKA_TEST_CRASH_SEED", "20250611"))
FINISHED = frozenset({"succeeded", "partial", "failed"})
#: Long enough for any run here to finish inside one job; arq's own re-delivery delay does not
#: depend on it below 55 s (see test_a_killed_job_is_taken_over_after_the_job_timeout).
JOB_TIMEOUT_S = 20
MAX_RUN_ATTEMPTS = 50
#: Only the orders flow: the other flows would only add noise to what the worker does.
ORDERS_ONLY = {
    "stock": {"enabled": False, "afterOrders": False},
    "products": {"enabled": False},
    "fulfilment": {"enabled": False},
}


# -- the world ------------------------------------------------------------------------------------
def crash_registry() -> Registry:
    registry = Registry()
    registry.register(remote_shop)
    registry.register(remote_books)
    return registry


class Worker:
    """One ``python -m spojka worker`` process, its output in files."""

    def __init__(self, environment: dict[str, str], log_dir: Path, name: str) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "spojka", "worker"],
                cwd=log_dir,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, nothing is released or cancelled."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM (arq finishes or re-queues its jobs), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return "(no output)"


@dataclass
class World:
    """The API in this process, its database and Redis, and the workers a test starts."""

    app: Litestar
    settings: Settings
    db: DatabaseUnderTest
    redis_url: str
    tmp_path: Path
    workers: list[Worker] = field(default_factory=list)
    facades: list[MemoryFacade] = field(default_factory=list)
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    #: (tenant id, link id) of every link made here, for cleaning their keys out of Redis.
    links: list[tuple[str, str]] = field(default_factory=list)

    def environment(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPOJKA_")}
        env.update(
            SPOJKA_DATABASE_URL=self.db.runtime_url,
            SPOJKA_MIGRATION_DATABASE_URL=self.db.owner_url,
            SPOJKA_REDIS_URL=self.redis_url,
            SPOJKA_MASTER_KEYS=KEY_ENTRY,
            SPOJKA_SECRET_KEY="test-csrf-secret-0123456789",
            SPOJKA_JOB_TIMEOUT_SECONDS=str(JOB_TIMEOUT_S),
            SPOJKA_MAX_RUN_ATTEMPTS=str(MAX_RUN_ATTEMPTS),
            SPOJKA_VAR_DIR=str(self.tmp_path / "worker-var"),
            SPOJKA_CONNECTOR_MODULES=CONNECTOR_MODULES,
            SPOJKA_LOG_LEVEL="INFO",
            SPOJKA_LOG_FORMAT="console",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])),
        )
        env.update(overrides)
        return env

    def start_worker(self, **overrides: str) -> Worker:
        log_dir = self.tmp_path / "workers"
        log_dir.mkdir(exist_ok=True)
        worker = Worker(self.environment(**overrides), log_dir, f"worker-{len(self.workers) + 1:02d}")
        self.workers.append(worker)
        return worker

    def facade(self, *systems: MemoryShop | MemoryBooks, latency: float = 0.0) -> MemoryFacade:
        facade = MemoryFacade(*systems, latency=latency).start()
        self.facades.append(facade)
        return facade

    def client(self) -> httpx.AsyncClient:
        """An HTTP client of the in-process API (closed with the world)."""
        # Litestar's __call__ is typed with its own ASGI aliases, httpx's with plain mappings.
        app: Any = self.app
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        self.clients.append(client)
        return client

    async def user(self) -> ApiUser:
        user = ApiUser(self.client())
        await user.signup()
        return user

    async def forget_links(self) -> None:
        """Leave the (possibly shared) Redis as found: no job, lock or schedule of this test's
        links survives it to be run against a façade that is gone."""
        redis = connect(self.redis_url)
        try:
            for tenant_id, link_id in self.links:
                for flow in SCHEDULED_FLOWS:
                    job = flow_job_id(uuid.UUID(link_id), flow)
                    await redis.zrem(DEFAULT_QUEUE_NAME, job)
                    await redis.zrem(SCHEDULE_KEY, Due(uuid.UUID(tenant_id), uuid.UUID(link_id), flow).member)
                    await redis.delete(
                        *(f"arq:{kind}:{job}" for kind in ("job", "retry", "in-progress", "result"))
                    )
                await expire_dead_leases(redis, tenant_id, link_id, SCHEDULED_FLOWS)
        except (RedisError, OSError):
            log.warning("could not clean this test's links out of Redis", exc_info=True)
        finally:
            await redis.aclose()

    def worker_logs(self) -> str:
        return "\n".join(f"--- {w.name} ---\n{w.output()}" for w in self.workers[-3:])

    async def close(self) -> None:
        for worker in self.workers:
            worker.kill()
        await self.forget_links()
        for client in self.clients:
            await client.aclose()
        for facade in self.facades:
            facade.stop()


@contextlib.asynccontextmanager
async def world_of(db: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[World]:
    reset_systems()
    settings = make_settings(db, tmp_path / "api-var", job_timeout_seconds=JOB_TIMEOUT_S)
    async with running_app(settings, crash_registry(), redis_url) as app:
        world = World(app=app, settings=settings, db=db, redis_url=redis_url, tmp_path=tmp_path)
        try:
            yield world
        finally:
            await world.close()
            reset_systems()


@pytest.fixture
async def world(test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """The shared test database and Redis (the worker subprocesses use them too)."""
    async with world_of(test_database, redis_url, tmp_path) as value:
        yield value


@dataclass(frozen=True)
class Pair:
    """A shop and its books behind one façade, linked through the API."""

    shop: MemoryShop
    books: MemoryBooks
    facade: MemoryFacade
    user: ApiUser
    shop_connection: dict[str, Any]
    link: dict[str, Any]

    @property
    def link_id(self) -> str:
        return str(self.link["id"])

    def expected_ext_ids(self) -> set[str]:
        with self.facade.locked():
            source_ids = list(self.shop.orders)
        return {f"{uuid.UUID(self.link_id).hex[:12]}-{s}"[:64] for s in source_ids}

    def books_snapshot(self) -> tuple[list[str], int]:
        """The ext ids of every order in the books (repeats kept), and refused duplicate writes."""
        with self.facade.locked():
            return [o.ext_id for o in self.books.orders.values()], self.books.duplicate_attempts


async def make_pair(
    world: World, orders: int, *, latency: float = 0.0, page_size: int = 50, seed: int = SEED
) -> Pair:
    tag = uuid.uuid4().hex[:8]
    shop, books = MemoryShop(f"shop-{tag}"), MemoryBooks(f"books-{tag}")
    shop.add_orders(Factory(seed=seed).orders(orders))
    facade = world.facade(shop, books, latency=latency)
    user = await world.user()
    shop_conn = await user.create_connection(
        "remote-shop",
        settings=facade.settings(shop, page_size=page_size),
        credentials=shop.credentials(),
    )
    books_conn = await user.create_connection(
        "remote-books", settings=facade.settings(books), credentials=books.credentials()
    )
    response = await user.post(
        "/api/v1/links",
        json={
            "name": f"link {tag}",
            "eshopConnectionId": shop_conn["id"],
            "accountingConnectionId": books_conn["id"],
            "flows": ORDERS_ONLY,
        },
    )
    assert response.status_code == 201, response.text
    world.links.append((user.tenant_id, str(response.json()["id"])))
    return Pair(shop, books, facade, user, shop_conn, response.json())


async def start_run(user: ApiUser, link_id: str, flow: str = "orders") -> str:
    response = await user.post(f"/api/v1/links/{link_id}/runs", json={"flow": flow})
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


async def get_run(user: ApiUser, run_id: str) -> dict[str, Any]:
    response = await user.get(f"/api/v1/runs/{run_id}")
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


async def runs_of(user: ApiUser, link_id: str) -> list[dict[str, Any]]:
    body = (await user.get(f"/api/v1/links/{link_id}/runs?flow=orders&limit=100")).json()
    items: list[dict[str, Any]] = body["items"]
    return items


async def events_of(user: ApiUser, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = (await user.get(f"/api/v1/runs/{run_id}/events?limit=100&offset={len(found)}")).json()
        found += page["items"]
        if not page["items"] or len(found) >= page["total"]:
            return found


async def wait_until(
    check: Callable[[], Awaitable[bool]], within: float, what: str, *, interval: float = 0.2
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:.0f} s (seed {SEED})")
        await asyncio.sleep(interval)


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> bool:
    """Whether ``check`` came true in time."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def created_in(user: ApiUser, run_id: str) -> set[str]:
    """Source ids of the orders a run created."""
    return {e["sourceId"] for e in await events_of(user, run_id) if e["action"] == "create"}


async def wait_for_run(world: World, user: ApiUser, run_id: str, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        run = await get_run(user, run_id)
        if run["status"] in FINISHED:
            return run
        if time.monotonic() > deadline:
            pytest.fail(
                f"run {run_id} still {run['status']} after {within:.0f} s (seed {SEED}): {run}\n"
                f"{world.worker_logs()}"
            )
        await asyncio.sleep(0.25)


async def wait_for_requests(facade: MemoryFacade, more_than: int, within: float) -> bool:
    """Whether the façade received more than ``more_than`` calls in time (a worker is at work)."""
    deadline = time.monotonic() + within
    while facade.total_requests() <= more_than:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def expire_dead_leases(
    redis: Redis, tenant_id: str, link_id: str, flows: tuple[str, ...] = ("orders",)
) -> None:
    """What the TTLs of a killed worker's leases do on their own after a minute, at once: arq's
    in-progress mark on the link's jobs, the flow locks and the tenant's run slots. Only call it
    when no worker is alive (every lease then belongs to a dead one)."""
    keys = [f"arq:in-progress:{flow_job_id(uuid.UUID(link_id), flow)}" for flow in flows]
    keys += [f"{LOCK_PREFIX}{link_id}:{flow}" for flow in flows]
    keys.append(f"{SLOTS_PREFIX}{tenant_id}")
    await redis.delete(*keys)


def once_each_problems(pair: Pair) -> list[str]:
    """What is wrong with the books, if anything: every shop order must be there exactly once."""
    ext_ids, duplicates = pair.books_snapshot()
    expected = pair.expected_ext_ids()
    missing = sorted(expected - set(ext_ids))
    repeated = sorted({e for e in ext_ids if ext_ids.count(e) > 1})
    unknown = sorted(set(ext_ids) - expected)
    problems = []
    if missing:
        problems.append(f"{len(missing)} order(s) never reached the books: {missing[:5]}")
    if repeated:
        problems.append(f"{len(repeated)} order(s) in the books more than once: {repeated[:5]}")
    if unknown:
        problems.append(f"the books hold orders the shop does not have: {unknown[:5]}")
    if len(ext_ids) != len(expected):
        problems.append(f"{len(ext_ids)} documents in the books for {len(expected)} orders")
    if duplicates:
        problems.append(f"{duplicates} attempt(s) to create an order a second time (refused by ext id)")
    return problems


def assert_once_each(pair: Pair, context: str) -> None:
    problems = once_each_problems(pair)
    assert not problems, f"{context}: " + "; ".join(problems)


def require(condition: object, message: str) -> None:
    """A precondition of a test: failing it says the set-up did not happen, not that the behaviour broke."""
    if not condition:
        pytest.fail(f"{message} (seed {SEED})")


# -- 1. twenty SIGKILLs mid-run -------------------------------------------------------------------
KILLS = 20
ORDERS = 300


async def test_twenty_sigkills_mid_run_lose_no_order_and_write_none_twice(world: World) -> None:
    """300 orders, pages of 10, a remote that takes 0.2 s per call: one run of about 25 s, and
    twenty workers SIGKILLed in turn, each 0.2-2 s after its first call to a remote. Kills land
    anywhere: in a read, in the lookup by external id, while a create is in flight (the façade
    then commits it after the worker died: an answer nobody receives), between the create and
    the page's binding transaction, inside that transaction. Then a last worker finishes the run
    on its own, once arq re-delivers the job."""
    rng = random.Random(SEED)
    context = f"seed {SEED}"
    log.warning("crash-safety seed: %s (replay with SPOJKA_TEST_CRASH_SEED=%s)", SEED, SEED)
    # Pages of 10 and a slow remote: about 25 s of work, so every kill lands inside the run.
    pair = await make_pair(world, ORDERS, latency=0.2, page_size=10)
    redis = connect(world.redis_url)
    try:
        run_id = await start_run(pair.user, pair.link_id)
        began = time.monotonic()
        kill_points: list[str] = []
        for kill in range(KILLS):
            if kill:
                # The dead worker's leases would lapse on their own after a minute; lapse them now,
                # so that every one of the twenty workers meets the run half-done.
                await expire_dead_leases(redis, pair.user.tenant_id, pair.link_id, ("orders",))
            seen = pair.facade.total_requests()
            worker = world.start_worker()
            # Count the wait from the worker's first call to a remote, so it is at work when killed.
            at_work = await wait_for_requests(pair.facade, seen, within=30)
            delay = rng.uniform(0.2, 2.0)
            await asyncio.sleep(delay)
            worker.kill()
            books, _ = pair.books_snapshot()
            kill_points.append(f"{delay:.2f}s{'' if at_work else ' (idle)'}: {len(books)} in books")
        log.warning("kills after %.1f s: %s", time.monotonic() - began, "; ".join(kill_points))
        killed_mid_run = await get_run(pair.user, run_id)
        assert killed_mid_run["status"] not in FINISHED, (
            f"{context}: the run ended before the last kill; make the remote slower: {killed_mid_run}"
        )
        # The last one's leases are left alone: the next worker takes the run over once arq's
        # in-progress mark, the flow lock and the tenant slot have expired by themselves.
        world.start_worker()
        run = await wait_for_run(world, pair.user, run_id, within=180)
        log.warning("finished %.1f s after the run was queued", time.monotonic() - began)
    finally:
        await redis.aclose()

    assert run["status"] == "succeeded", f"{context}: {run}\n{world.worker_logs()}"
    assert_once_each(pair, context)
    counts = run["counts"]
    log.warning("counts: %s (skipped: created by a killed attempt, found by external id)", counts)
    # Each order is counted once: created by the attempt that stored its page, or found by
    # its external id when a killed attempt had created it but not stored its binding.
    assert counts["failed"] == 0, f"{context}: {counts}"
    assert counts["created"] + counts["skipped"] == ORDERS, f"{context}: {counts}"
    created = [e for e in await events_of(pair.user, run_id) if e["action"] == "create"]
    assert len(created) == counts["created"], f"{context}: {counts}"
    assert len({e["sourceId"] for e in created}) == len(created), f"{context}: an order created twice"


# -- 2. a webhook and a poll ----------------------------------------------------------------------
async def test_a_webhook_and_a_poll_for_the_same_order_write_it_once(world: World) -> None:
    """The webhook is verified by the API (through the façade), delivered twice; the poll asked for
    at the same time joins the webhook's run; a later poll finds nothing to do."""
    pair = await make_pair(world, 0, latency=0.05)
    world.start_worker()
    with pair.facade.locked():
        order = pair.shop.add_order(Factory(seed=SEED + 2).orders(1)[0])
        headers, body = pair.shop.webhook_for("order:create", order.source_id)
    hook = str(pair.shop_connection["webhookUrl"]).removeprefix(world.settings.effective_public_url)
    anonymous = world.client()

    # The shop delivers its webhook twice, and the poll comes due at the same moment.
    first = await anonymous.post(hook, content=body, headers=headers)
    poll = await start_run(pair.user, pair.link_id)
    again = await anonymous.post(hook, content=body, headers=headers)
    assert first.status_code == again.status_code == 202, (first.text, again.text)
    assert (first.json()["accepted"], again.json()["duplicates"]) == (1, 1)

    async def all_finished() -> bool:
        runs = await runs_of(pair.user, pair.link_id)
        return bool(runs) and all(r["status"] in FINISHED for r in runs)

    await wait_until(all_finished, 60, "the webhook's and the poll's runs")
    # A later poll reads past the order (the cursor moved with its binding) or finds it bound.
    later = await start_run(pair.user, pair.link_id)
    await wait_for_run(world, pair.user, later, within=60)

    assert_once_each(pair, "webhook + poll")
    runs = await runs_of(pair.user, pair.link_id)
    assert all(r["status"] == "succeeded" for r in runs), runs
    assert sum(r["counts"]["created"] for r in runs) == 1, runs
    assert {r["trigger"] for r in runs} >= {"webhook", "manual"}, runs
    creates = [e for r in runs for e in await events_of(pair.user, r["id"]) if e["action"] == "create"]
    assert [e["sourceId"] for e in creates] == [order.source_id]
    assert poll in {r["id"] for r in runs}


# -- 3. Redis loses the queue ---------------------------------------------------------------------
@pytest.fixture
async def own_database(tmp_path: Path) -> AsyncIterator[DatabaseUnderTest]:
    """A database of this test's own: the scheduler's rebuild reads every link there is, and other
    tests' links (with their façades long gone) have no business in this test's queue."""
    from spojka.db.migrate import grant_runtime_role, upgrade

    if PG_URL:
        name = new_database_name()
        await autocommit(PG_URL, f'CREATE DATABASE "{name}"')
        db = DatabaseUnderTest(owner_url_for(PG_URL, name), runtime_url_for(PG_URL, name))
    else:
        path = tmp_path / "own.db"
        db = DatabaseUnderTest(sqlite_url(path), sqlite_url(path))
    await asyncio.to_thread(upgrade, db.owner_url)
    await asyncio.to_thread(grant_runtime_role, db.owner_url, db.runtime_url)
    yield db
    if PG_URL:
        await autocommit(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def kill_redis_and_lose_its_data(server: EmbeddedRedis) -> EmbeddedRedis:
    """SIGKILL the server (no save), delete its snapshot and append-only file, start it again."""
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    server.stop()  # reaps the dead process; nothing left to save
    for leftover in [*server.directory.glob("dump*.rdb"), *server.directory.glob("appendonly*")]:
        if leftover.is_dir():
            for part in leftover.iterdir():
                part.unlink()
            leftover.rmdir()
        else:
            leftover.unlink()
    return EmbeddedRedis(server.directory).start()


async def run_row(db_url: str, run_id: str) -> dict[str, Any]:
    """A run as stored (read on the owner connection: the API's sessions lived in the lost Redis)."""
    database = Database(db_url)
    try:
        async with database.session() as session:
            row = (
                await session.execute(
                    select(Run.status, Run.created, Run.skipped, Run.failed, Run.error).where(
                        Run.id == uuid.UUID(run_id)
                    )
                )
            ).one()
    finally:
        await database.dispose()
    return dict(row._mapping)


async def scheduler_ticks(world: World, admin_url: str, *, minutes: int = 1) -> list[int]:
    """Ticks of the worker's cron scheduler (one a minute: ``now`` moves on by 60 s each time),
    wired as the worker's own on_startup wires them; how many flows each one queued."""
    settings = world.settings
    db, admin_db = Database(settings.effective_database_url), Database(admin_url)
    redis = connect(world.redis_url)
    pool = await create_queue_pool(world.redis_url)
    engine = Engine(
        db=db,
        registry=crash_registry(),
        secrets=SecretStore(load_key_ring(settings, create=False)),
        redis=redis,
    )
    start = time.time()
    try:
        return [await tick(engine, pool, admin_db, now=start + 60 * minute) for minute in range(minutes)]
    finally:
        await pool.aclose()
        await redis.aclose()
        await admin_db.dispose()
        await db.dispose()


async def test_a_redis_that_loses_the_queue_loses_no_order(
    own_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    """A run is queued; Redis is SIGKILLed before any worker takes it and restarts with no data
    (the job, the schedule and the API's sessions are gone). The run row in the database is all
    that is left, and the scheduler's next polls queue the link again."""
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        async with world_of(own_database, server.url, tmp_path) as world:
            pair = await make_pair(world, 40, page_size=10)
            run_id = await start_run(pair.user, pair.link_id)
            job_key = f"arq:job:{flow_job_id(uuid.UUID(pair.link_id), 'orders')}"
            redis = connect(server.url)
            try:
                assert await redis.exists(job_key), "the run was not queued"
            finally:
                await redis.aclose()

            # Redis dies before any worker took the job, and comes back empty.
            server = kill_redis_and_lose_its_data(server)
            redis = connect(server.url)
            try:
                assert not await redis.exists(job_key), "the queued job survived; nothing was lost"
            finally:
                await redis.aclose()
            assert (await run_row(own_database.owner_url, run_id))["status"] == "queued"

            # The scheduler rebuilds the lost schedule from the database, and the next polls
            # queue the link again (the rebuilding tick itself may queue it, or the one after).
            ticks = await scheduler_ticks(world, own_database.owner_url, minutes=2)
            assert sum(ticks) >= 1, ticks
            world.start_worker()
            deadline = time.monotonic() + 60
            while (row := await run_row(own_database.owner_url, run_id))["status"] not in FINISHED:
                if time.monotonic() > deadline:
                    pytest.fail(f"the run was not caught up: {row}\n{world.worker_logs()}")
                await asyncio.sleep(0.25)
            assert row["status"] == "succeeded", f"{row}\n{world.worker_logs()}"
            assert (row["created"], row["failed"]) == (40, 0), row
            assert_once_each(pair, "after the Redis restart")
    finally:
        server.stop()


# -- 4. the remote commits, the connection drops --------------------------------------------------
async def test_a_remote_that_commits_then_drops_the_connection_gets_no_second_document(
    world: World,
) -> None:
    """The books store the second page's 30 orders and close the TCP connection without a byte of
    answer; the worker sees a dropped connection (a temporary error), retries the run later, and
    links the 30 orders it finds by their external ids instead of creating them again."""
    pair = await make_pair(world, 60, page_size=30)
    # The first page goes through; the second page's create is done, then its connection cut.
    pair.facade.drop_after_commit(pair.books, "create_orders", after_calls=1)
    world.start_worker()
    run_id = await start_run(pair.user, pair.link_id)
    run = await wait_for_run(world, pair.user, run_id, within=90)

    assert pair.facade.dropped == [f"{pair.books.name}/create_orders"]
    assert run["status"] == "succeeded", f"{run}\n{world.worker_logs()}"
    assert_once_each(pair, "commit then drop")
    events = await events_of(pair.user, run_id)
    created = {e["sourceId"] for e in events if e["action"] == "create"}
    found = {e["sourceId"] for e in events if e["action"] == "found"}
    with pair.facade.locked():
        first_page = {o.source_id for o in list(pair.shop.orders.values())[:30]}
        second_page = set(pair.shop.orders) - first_page
    assert created == first_page
    # The retry asked the books by external id and linked what the lost answer had created.
    assert found == second_page
    assert (run["counts"]["created"], run["counts"]["skipped"], run["counts"]["failed"]) == (30, 30, 0)


# -- regressions -----------------------------------------------------------------------------------
# Each test below pins a bug these tests once found (fixed in the engine, worker and scheduler).
async def test_a_killed_job_is_taken_over_after_the_job_timeout(world: World) -> None:
    job_timeout = 8
    pair = await make_pair(world, 40, latency=0.2, page_size=10)
    worker = world.start_worker(SPOJKA_JOB_TIMEOUT_SECONDS=str(job_timeout))
    run_id = await start_run(pair.user, pair.link_id)
    redis = connect(world.redis_url)
    try:
        require(await wait_for_requests(pair.facade, 0, within=30), "the worker never started the run")
        await asyncio.sleep(0.5)
        worker.kill()
        job = flow_job_id(uuid.UUID(pair.link_id), "orders")
        left = await redis.pttl(f"arq:in-progress:{job}") / 1000
        require(left > 0, "the killed worker left no in-progress mark; was the run done already?")
        # Settings: "a worker that dies mid-run has its job taken over after this" (arq adds 10 s).
        assert left <= job_timeout + 10, (
            f"the killed worker's job stays invisible to the other workers for another {left:.0f} s, "
            f"not {job_timeout} + 10 s"
        )
    finally:
        await expire_dead_leases(redis, pair.user.tenant_id, pair.link_id, ("orders",))
        await redis.aclose()
        world.start_worker()
        run = await wait_for_run(world, pair.user, run_id, within=60)
        require(run["status"] == "succeeded" and not once_each_problems(pair), f"clean-up run: {run}")


async def test_an_order_whose_webhook_arrives_during_a_run_does_not_wait_for_the_next_poll(
    world: World,
) -> None:
    pair = await make_pair(world, 60, latency=0.1, page_size=10)
    late = Factory(seed=SEED).orders(61)[-1]
    require(late.source_id not in pair.shop.orders, "the late order is not a new one")
    world.start_worker()
    run_id = await start_run(pair.user, pair.link_id)
    require(await wait_for_requests(pair.facade, 0, within=30), "the worker never started the run")

    # The run is reading; a customer orders now, and the shop says so at once.
    with pair.facade.locked():
        pair.shop.add_order(late)
        headers, body = pair.shop.webhook_for("order:create", late.source_id)
    hook = str(pair.shop_connection["webhookUrl"]).removeprefix(world.settings.effective_public_url)
    delivered = await world.client().post(hook, content=body, headers=headers)
    require(delivered.status_code == 202 and delivered.json()["accepted"] == 1, delivered.text)
    first = await wait_for_run(world, pair.user, run_id, within=60)
    require(first["status"] == "succeeded", f"the first run: {first}")

    late_ext_id = f"{uuid.UUID(pair.link_id).hex[:12]}-{late.source_id}"

    async def in_books() -> bool:
        return late_ext_id in pair.books_snapshot()[0]

    await eventually(in_books, within=10)
    # The books are written before the run stores its events: let the webhook's run finish first.
    for queued in await runs_of(pair.user, pair.link_id):
        if queued["trigger"] == "webhook":
            await wait_for_run(world, pair.user, queued["id"], within=30)
    runs = await runs_of(pair.user, pair.link_id)
    by_webhook_or_hand = [r for r in runs if r["trigger"] != "schedule" and r["counts"]["created"]]
    assert late_ext_id in pair.books_snapshot()[0], (
        f"10 s after its run ended, the order of the webhook is still not in the books; runs: "
        f"{[(r['trigger'], r['status'], r['counts']) for r in runs]}"
    )
    # Not rescued by the worker's cron scheduler polling in the meantime.
    creators = [r for r in by_webhook_or_hand if late.source_id in await created_in(pair.user, r["id"])]
    assert creators, f"only a scheduled poll brought the order in: {runs}"


async def test_a_page_retried_after_a_dropped_answer_is_counted_once(world: World) -> None:
    # One page of 100 orders is written in two batches of 50; the second batch's answer is lost.
    pair = await make_pair(world, 100, page_size=100)
    pair.facade.drop_after_commit(pair.books, "create_orders", after_calls=1)
    world.start_worker()
    run_id = await start_run(pair.user, pair.link_id)
    run = await wait_for_run(world, pair.user, run_id, within=90)
    require(pair.facade.dropped, "no connection was dropped")
    require(run["status"] == "succeeded", f"{run}\n{world.worker_logs()}")
    require(not once_each_problems(pair), f"the books are wrong: {once_each_problems(pair)}")

    counts = run["counts"]
    assert counts["created"] + counts["skipped"] == 100, f"100 orders counted as {counts}"
    events = await events_of(pair.user, run_id)
    both = {e["sourceId"] for e in events if e["action"] == "create"} & {
        e["sourceId"] for e in events if e["action"] == "found"
    }
    assert not both, f"{len(both)} orders are both 'created' and 'found' in one run"


async def _queue_then_lose_redis(world: World, orders: int) -> tuple[Pair, str]:
    pair = await make_pair(world, orders)
    run_id = await start_run(pair.user, pair.link_id)
    redis = connect(world.redis_url)
    try:
        await redis.flushall()
    finally:
        await redis.aclose()
    return pair, run_id


async def test_the_tick_that_rebuilds_a_lost_schedule_queues_what_is_due(
    own_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    with EmbeddedRedis(tmp_path / "redis") as server:
        async with world_of(own_database, server.url, tmp_path) as world:
            await _queue_then_lose_redis(world, 3)
            ticks = await scheduler_ticks(world, own_database.owner_url, minutes=2)
            require(sum(ticks) == 1, f"the link was not queued at all: {ticks}")
            assert ticks[0] == 1, f"queued per tick: {ticks}"


@pytest.mark.postgres
async def test_a_lost_schedule_is_not_rebuilt_empty_on_a_connection_that_rls_filters(
    own_database: DatabaseUnderTest, tmp_path: Path
) -> None:
    """With SPOJKA_MIGRATION_DATABASE_URL unset the maintenance connection is the runtime role,
    which sees no link: the tick must say so and leave the schedule unbuilt (to try again), never
    mark an empty schedule as built and stop every poll for good."""
    with EmbeddedRedis(tmp_path / "redis") as server:
        async with world_of(own_database, server.url, tmp_path) as world:
            await _queue_then_lose_redis(world, 3)
            with pytest.raises(RuntimeError, match="BYPASSRLS"):
                await scheduler_ticks(world, own_database.runtime_url, minutes=1)
            redis = connect(world.redis_url)
            try:
                assert not await redis.exists(BUILT_KEY)
            finally:
                await redis.aclose()
            ticks = await scheduler_ticks(world, own_database.owner_url, minutes=1)
            assert ticks == [1], f"the owner's connection rebuilt nothing: {ticks}"


async def test_a_run_at_work_is_shown_running_since_it_started(world: World) -> None:
    pair = await make_pair(world, 40, latency=0.2, page_size=10)
    world.start_worker()
    run_id = await start_run(pair.user, pair.link_id)
    require(await wait_for_requests(pair.facade, 0, within=30), "the worker never started the run")
    run = await get_run(pair.user, run_id)
    await wait_for_run(world, pair.user, run_id, within=60)
    assert (run["status"], run["startedAt"] is not None) == ("running", True), run


async def test_a_run_that_keeps_meeting_temporary_errors_gives_up_after_the_maximum_attempts(
    world: World,
) -> None:
    pair = await make_pair(world, 5)
    with pair.facade.locked():
        for _ in range(30):
            pair.shop.fail_next("read_orders", RetriableError("The shop is down for maintenance."))
    # Attempt 1, a back-off of 2.5-5 s, attempt 2, given up: well within 15 s.
    world.start_worker(SPOJKA_MAX_RUN_ATTEMPTS="2")
    run_id = await start_run(pair.user, pair.link_id)

    async def finished() -> bool:
        return (await get_run(pair.user, run_id))["status"] in FINISHED

    await eventually(finished, within=15)
    run = await get_run(pair.user, run_id)
    with pair.facade.locked():
        calls = pair.shop.calls["read_orders"]
    assert run["status"] == "failed", f"after {calls} attempts the run is still {run['status']}: {run}"


async def test_a_run_longer_than_the_job_timeout_goes_on_in_another_job(world: World) -> None:
    # The worker's cron scheduler (second 0 of each minute) would re-queue the link and hide the
    # stall: keep the 35 s the run may take (on a loaded machine) clear of it.
    second = time.time() % 60
    if second > 20:
        await asyncio.sleep(61.5 - second)
    pair = await make_pair(world, 60, latency=0.3, page_size=10)  # 6 pages of about 1 s each
    world.start_worker(SPOJKA_JOB_TIMEOUT_SECONDS="3")
    run_id = await start_run(pair.user, pair.link_id)

    async def finished() -> bool:
        return (await get_run(pair.user, run_id))["status"] in FINISHED

    await eventually(finished, within=35)
    run = await get_run(pair.user, run_id)
    in_books = len(pair.books_snapshot()[0])
    assert run["status"] == "succeeded", f"{in_books} of 60 orders in the books, and the run is {run}"
