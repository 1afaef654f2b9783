"""Sync-engine benchmark: orders throughput, stock comparison, and the scheduler tick.

Runs the real engine (``spojka.sync.runner.execute_run``, ``spojka.worker.scheduler.tick``) against
a throwaway database (PostgreSQL with ``SPOJKA_BENCH_DATABASE_URL``, else SQLite) and a Redis (see
``_env.py``), with the in-process, zero-latency memory connectors, so what is measured is the
platform: flows, bindings, events, cursors, SQL and Redis round trips.

1. ``orders``: N orders (default 2,000) through one ``orders`` run. Orders per second; CPU ms per
   order (``time.process_time()`` of this process: it includes the in-process fake systems' work
   and, on SQLite, the database engine, which runs in a thread of this process).
2. ``stock``: 100,000 stock levels, every code sold by the shop. A first run writes them all; a
   second, with nothing changed, must compare all of them and write none. The link combines two
   warehouses (``main`` + ``outlet``, summed): the mode that re-reads every level on every run (in
   single-warehouse mode a cursor makes an unchanged re-run read nothing at all). On PostgreSQL the
   tables are analysed between the two runs, as autovacuum would have done by the next hourly run
   in production (``--no-analyze`` skips it); SQLite never analyses by itself, so neither does this.
3. ``scheduler``: 10,000 links over 500 tenants on the schedule, one ``tick`` with 1% of the links
   due (their ``orders`` flow), and one with nothing due. The tick enqueues real arq jobs.

Progress is printed as it goes; the figures come LAST as JSON lines (see ``_report.py``). The exit
status is 0 whether or not targets are met, and non-zero on errors (a run that did not succeed, a
count that does not add up, a service that cannot be reached).

Usage: ``.venv/bin/python bench/bench_engine.py [--scenarios orders,stock,scheduler] [--profile DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from _env import BenchServices, prepare
from _report import Figure, Profiler, Stopwatch, emit, say
from _world import LinkRef, create_linked_tenant, create_tenants_with_links, load_run, queue_run
from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import text

from spojka.connector.model import Product
from spojka.connector.registry import Registry
from spojka.connector.testing import (
    Factory,
    MemoryBooks,
    MemoryShop,
    memory_books,
    memory_shop,
    reset_systems,
)
from spojka.db import Database
from spojka.embedded_redis import connect
from spojka.links.flows import Flows, StockFlow
from spojka.queue import DEFAULT_QUEUE_NAME, create_queue_pool
from spojka.runs.models import Run
from spojka.runs.schedule import BUILT_KEY, SCHEDULE_KEY, Due, schedule_link
from spojka.sync.runner import Engine, execute_run
from spojka.vault import KeyRing, SecretStore, generate_key_entry, verify_key_ring
from spojka.worker.scheduler import tick

SCENARIOS = ("orders", "stock", "scheduler")
ORDERS_TARGET_PER_SECOND = 500.0
STOCK_TARGET_SECONDS = 5.0
STOCK_REFERENCE_LEVELS = 100_000
TICK_TARGET_MS = 100.0
WARMUP_ORDERS = 100


class BenchError(RuntimeError):
    """The benchmark's premise failed (a run did not succeed, counts do not add up)."""


@dataclass(frozen=True, slots=True)
class Options:
    """What to run, and at what size."""

    scenarios: tuple[str, ...]
    orders: int
    stock_levels: int
    tenants: int
    links: int
    due_fraction: float
    tick_repeats: int
    analyze: bool
    profile: Path | None


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    parser.add_argument("--orders", type=int, default=2_000, help="orders in the measured run")
    parser.add_argument("--stock-levels", type=int, default=STOCK_REFERENCE_LEVELS)
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--links", type=int, default=10_000, help="links in all, spread over the tenants")
    parser.add_argument("--due-fraction", type=float, default=0.01, help="share of links due at a tick")
    parser.add_argument("--tick-repeats", type=int, default=3, help="ticks measured (median reported)")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: do not ANALYZE between the two stock runs (statistics stay as before the first)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the measured parts into DIR")
    args = parser.parse_args(argv)
    scenarios = tuple(s.strip() for s in str(args.scenarios).split(",") if s.strip())
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    if args.links % args.tenants:
        parser.error("--links must be a multiple of --tenants")
    return Options(
        scenarios=scenarios,
        orders=args.orders,
        stock_levels=args.stock_levels,
        tenants=args.tenants,
        links=args.links,
        due_fraction=args.due_fraction,
        tick_repeats=args.tick_repeats,
        analyze=not args.no_analyze,
        profile=args.profile,
    )


@dataclass(slots=True)
class Bench:
    """What every scenario works with."""

    engine: Engine
    admin_db: Database
    pool: ArqRedis
    options: Options
    profiler: Profiler

    @property
    def db(self) -> Database:
        return self.engine.db

    @property
    def postgres(self) -> bool:
        return self.db.engine.dialect.name == "postgresql"

    async def run(self, ref: LinkRef, flow: str, label: str) -> tuple[Run, Stopwatch]:
        """Queue a run of ``flow`` and execute it, timed; it must succeed."""
        run_id = await queue_run(self.db, ref, flow)
        with self.profiler.profile(label), Stopwatch() as watch:
            result = await execute_run(self.engine, ref.tenant_id, run_id)
        run = await load_run(self.db, ref, run_id)
        if result.status != "succeeded" or run.status != "succeeded":
            msg = f"{label}: the {flow} run ended {run.status!r} ({result.status}): {run.error}"
            raise BenchError(msg)
        return run, watch


def registry() -> Registry:
    """The in-memory connectors only."""
    found = Registry()
    found.register(memory_shop)
    found.register(memory_books)
    return found


# -- 1. orders ------------------------------------------------------------------------------------
async def _orders_run(bench: Bench, label: str, count: int, seed: int) -> Stopwatch:
    shop, books = MemoryShop(f"{label}-shop"), MemoryBooks(f"{label}-books")
    shop.add_orders(Factory(seed=seed).orders(count))
    ref = await create_linked_tenant(bench.db, bench.engine.secrets, label, shop, books, Flows())
    run, watch = await bench.run(ref, "orders", label)
    if run.created != count or len(books.orders) != count or books.duplicate_attempts:
        msg = (
            f"{label}: expected {count} orders created, the run counted {run.created}, "
            f"accounting holds {len(books.orders)} ({books.duplicate_attempts} duplicate attempts)"
        )
        raise BenchError(msg)
    return watch


async def bench_orders(bench: Bench) -> list[Figure]:
    count = bench.options.orders
    say(f"[orders] warm-up: {WARMUP_ORDERS} orders on a tenant of their own (not measured)")
    await _orders_run(bench, "orders-warmup", WARMUP_ORDERS, seed=11)
    say(f"[orders] {count} orders in the shop; one orders run (default flow settings, page size 50)")
    watch = await _orders_run(bench, "orders", count, seed=12)
    per_second = count / watch.wall
    cpu_ms = watch.cpu * 1000 / count
    includes = "platform + in-process fakes" + ("" if bench.postgres else " + the SQLite engine")
    say(
        f"[orders] {count} orders in {watch.wall:.2f} s: {per_second:,.0f} orders/s; "
        f"CPU {watch.cpu:.2f} s = {cpu_ms:.2f} ms per order (this process: {includes})"
    )
    return [
        Figure("orders_per_second", per_second, "orders/s", ORDERS_TARGET_PER_SECOND, ">="),
        Figure("cpu_ms_per_order", cpu_ms, "ms CPU/order (process, incl. in-process fakes)"),
        Figure("orders_run_seconds", watch.wall, "s"),
    ]


# -- 2. stock -------------------------------------------------------------------------------------
def catalogue_with_codes(factory: Factory, codes: int) -> list[Product]:
    """Products (with and without variants) until they have at least ``codes`` sellable codes."""
    products: list[Product] = []
    found = 0
    while found < codes:
        product = factory.product()
        products.append(product)
        found += len(product.variants) or 1
    return products


async def bench_stock(bench: Bench) -> list[Figure]:
    count = bench.options.stock_levels
    factory = Factory(seed=21, catalogue_size=0)
    products = catalogue_with_codes(factory, count)
    levels = factory.stock_levels(products, warehouses=("main",))[:count]
    shop, books = MemoryShop("stock-shop"), MemoryBooks("stock-books")
    shop.add_products(products)
    books.load_stock(levels)
    unknown = [lvl.code for lvl in levels if not shop.has_code(lvl.code)]
    if unknown:
        msg = f"{len(unknown)} stock codes are not sold by the shop, e.g. {unknown[:3]}"
        raise BenchError(msg)
    say(
        f"[stock] {count:,} levels in accounting (warehouse main), {len(products):,} products in the shop "
        "selling every code; link sums warehouses main + outlet (re-reads everything each run)"
    )
    full = Flows(stock=StockFlow(warehouses=["main", "outlet"], combine="sum"))
    ref = await create_linked_tenant(bench.db, bench.engine.secrets, "stock", shop, books, full)

    first, first_watch = await bench.run(ref, "stock", "stock_first_run")
    if shop.stock_writes != count or first.created != 2 * count:
        msg = f"stock first run: {shop.stock_writes} levels written, run counted {first.created} created"
        raise BenchError(msg)
    say(
        f"[stock] first run: {count:,} quantities + {count:,} purchase prices written in "
        f"{first_watch.wall:.2f} s (CPU {first_watch.cpu:.2f} s)"
    )

    if bench.postgres and bench.options.analyze:
        with Stopwatch() as analyze:
            async with bench.admin_db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        say(
            f"[stock] ANALYZE (as the owner; autovacuum would do it before the next hourly run) "
            f"in {analyze.wall:.2f} s"
        )
    elif bench.postgres:
        say("[stock] --no-analyze: the second run plans with the statistics of before the first run")
    writes, price_calls = shop.stock_writes, shop.calls["write_purchase_prices"]
    second, watch = await bench.run(ref, "stock", "stock_second_run")
    new_writes = shop.stock_writes - writes
    new_price_calls = shop.calls["write_purchase_prices"] - price_calls
    if second.skipped != count:
        msg = f"stock second run: expected {count} unchanged, the run counted {second.skipped} skipped"
        raise BenchError(msg)
    say(
        f"[stock] second run, nothing changed: {count:,} levels read and compared in {watch.wall:.2f} s "
        f"(CPU {watch.cpu:.2f} s); {new_writes} quantities written, {new_price_calls} price-write calls, "
        f"run counts created={second.created} updated={second.updated} skipped={second.skipped}"
    )

    scale = STOCK_REFERENCE_LEVELS / count
    if scale != 1:
        say(f"[stock] note: *_100k figures are extrapolated linearly from {count:,} levels")
    return [
        Figure("stock_compare_seconds_100k", watch.wall * scale, "s", STOCK_TARGET_SECONDS, "<="),
        Figure(
            "stock_levels_compared_per_second",
            count / watch.wall,
            "levels/s",
            STOCK_REFERENCE_LEVELS / STOCK_TARGET_SECONDS,
            ">=",
        ),
        Figure("stock_second_run_writes", new_writes, "writes", 0, "=="),
        Figure("stock_first_run_seconds_100k", first_watch.wall * scale, "s"),
    ]


# -- 3. scheduler ---------------------------------------------------------------------------------
async def _timed_tick(bench: Bench, now: float, label: str | None = None) -> tuple[int, float]:
    """One tick at ``now``: how many flows it queued, and its wall time in ms (profiled if labelled)."""
    with bench.profiler.profile(label) if label else nullcontext():
        start = time.perf_counter()
        queued = await tick(bench.engine, bench.pool, bench.admin_db, now=now)
        return queued, (time.perf_counter() - start) * 1000


async def _schedule_all(redis: Redis, refs: list[LinkRef], flows: Flows, now: float) -> None:
    chunk = 200
    for start in range(0, len(refs), chunk):
        await asyncio.gather(
            *(
                schedule_link(redis, r.tenant_id, r.link_id, flows, paused=False, now=now)
                for r in refs[start : start + chunk]
            )
        )


async def bench_scheduler(bench: Bench) -> list[Figure]:
    options = bench.options
    per_tenant = options.links // options.tenants
    due_links = max(1, round(options.links * options.due_fraction))
    flows = Flows()
    with Stopwatch() as watch:
        refs = await create_tenants_with_links(bench.db, options.tenants, per_tenant, flows)
    say(f"[scheduler] {options.tenants} tenants x {per_tenant} links inserted in {watch.wall:.1f} s")
    now = time.time()
    with Stopwatch() as watch:
        # Everything due in an hour; products nightly (later still).
        await _schedule_all(bench.pool, refs, flows, now + 3600)
        await bench.pool.set(BUILT_KEY, "1")
    members = await bench.pool.zcard(SCHEDULE_KEY)
    say(f"[scheduler] {len(refs):,} links on the schedule ({members:,} flows) in {watch.wall:.1f} s")

    idle = [await _timed_tick(bench, now) for _ in range(max(3, options.tick_repeats))]
    if any(queued for queued, _ in idle):
        raise BenchError(f"a tick with nothing due queued {[q for q, _ in idle]}")
    idle_ms = statistics.median(ms for _, ms in idle)
    say(f"[scheduler] tick, nothing due: {', '.join(f'{ms:.1f}' for _, ms in idle)} ms")

    busy: list[float] = []
    stride = max(1, len(refs) // due_links)
    for repeat in range(options.tick_repeats):
        # Spread over the tenants: every stride-th link, a different offset each time.
        chosen = refs[repeat % stride :: stride][:due_links]
        await bench.pool.zadd(
            SCHEDULE_KEY, {Due(r.tenant_id, r.link_id, "orders").member: now - 1 for r in chosen}, xx=True
        )
        queued, ms = await _timed_tick(bench, now, "scheduler_tick_due" if repeat == 0 else None)
        if queued != len(chosen):
            raise BenchError(f"a tick with {len(chosen)} flows due queued {queued}")
        busy.append(ms)
    jobs = await bench.pool.zcard(DEFAULT_QUEUE_NAME)
    expected_jobs = due_links * options.tick_repeats
    if jobs != expected_jobs:
        raise BenchError(f"{jobs} arq jobs in the queue, expected {expected_jobs}")
    busy_ms = statistics.median(busy)
    say(
        f"[scheduler] tick, {due_links} of {len(refs):,} links due ({due_links} orders flows queued as "
        f"runs + arq jobs): {', '.join(f'{ms:.1f}' for ms in busy)} ms"
    )
    return [
        Figure("scheduler_tick_ms_10k_links", busy_ms, f"ms ({due_links} due)", TICK_TARGET_MS, "<="),
        Figure("scheduler_tick_ms_10k_links_none_due", idle_ms, "ms", TICK_TARGET_MS, "<="),
        Figure("scheduler_tick_ms_per_due_flow", busy_ms / due_links, "ms"),
    ]


# -- the whole run --------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on the machine skews the figures)."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


async def database_version(db: Database) -> str:
    async with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            return str(await conn.scalar(text("SHOW server_version")))
        return "SQLite " + str(await conn.scalar(text("SELECT sqlite_version()")))


async def run_all(services: BenchServices, options: Options) -> list[Figure]:
    ring = KeyRing.parse(generate_key_entry(), source="the benchmark's key ring")
    db, admin_db = Database(services.runtime_url), Database(services.owner_url)
    redis = connect(services.redis_url)
    pool = await create_queue_pool(services.redis_url)
    try:
        await verify_key_ring(db, ring)
        say(f"database: {services.database_label}, server {await database_version(db)}")
        say(f"redis:    {services.redis_origin}")
        engine = Engine(db=db, registry=registry(), secrets=SecretStore(ring), redis=redis)
        bench = Bench(engine, admin_db, pool, options, Profiler(options.profile))
        figures: list[Figure] = []
        for name, scenario in (
            ("orders", bench_orders),
            ("stock", bench_stock),
            ("scheduler", bench_scheduler),
        ):
            if name in options.scenarios:
                with Stopwatch() as watch:
                    figures += await scenario(bench)
                say(f"[{name}] scenario done in {watch.wall:.1f} s")
        return figures
    finally:
        reset_systems()
        await pool.aclose()
        await redis.aclose()
        await db.dispose()
        await admin_db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    say(f"Spojka sync-engine benchmark ({', '.join(options.scenarios)})")
    say(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load_average()}"
    )
    if options.profile is not None:
        say(f"profiling into {options.profile}: the profiled runs' figures are inflated by cProfile")
    started = time.perf_counter()
    services = prepare()
    try:
        figures = asyncio.run(run_all(services, options))
    finally:
        services.close()
    say(f"total {time.perf_counter() - started:.1f} s, load average now {load_average()}")
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
