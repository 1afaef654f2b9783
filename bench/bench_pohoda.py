"""POHODA connector benchmark: orders into the simulated mServer, and a ``lastChanges`` stock read.

The mServer simulator runs in a child process (uvicorn on loopback), so its XML work does not
share this process's interpreter with the connector. It is given a processing time per imported
document and per exported stock card, as a real POHODA takes; that makes its own processing limit
``1 / latency`` documents (or cards) per second, since the mServer handles one request at a time.
The benchmark measures what the connector achieves against that limit; the target is 90 % of it
(the connector's own work, HTTP and the extId lookups before creating may cost at most 10 %).

1. ``orders``: N orders (default 2,000) as the engine's orders flow hands them over:
   ``find_orders`` for a page of 100 (one data pack of extId list requests), then ``create_orders``
   for 50 at a time (one data pack of ``batchSize`` 50 documents each).
2. ``stock``: a first ``read_stock`` of the empty store gives a cursor; the simulator then fills the
   store with M cards (default 100,000); ``read_stock`` from the cursor reads them all through
   ``lastChanges`` and paging (10,000 cards a page).

Progress is printed as it goes; the figures come LAST as JSON lines (see ``_report.py``).

Usage: ``.venv/bin/python bench/bench_pohoda.py [--orders N] [--cards M] [--order-latency S]
[--card-latency S] [--scenarios orders,stock]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from _report import Figure, emit, say

from spojka.connector import ConnectionContext
from spojka.connector.capabilities import OrderOptions, OrderWrite
from spojka.connector.testing import Factory
from spojka_connectors.pohoda import connector
from spojka_connectors.pohoda.session import PohodaSession
from spojka_connectors.pohoda.simulator import State, build_app

#: As the engine's orders flow does: one find_orders per page of orders, create_orders per 50.
FIND_PER_CALL = 100
CREATE_PER_CALL = 50
TARGET_SHARE = 0.9


def _serve(port: int, order_latency: float, card_latency: float, catalogue: list[tuple[str, str]]) -> None:
    """The child process: a simulated POHODA with the factory's catalogue as stock cards."""
    state = State(keep_received=10)
    state.faults.latency_per_document = order_latency
    state.faults.latency_per_record = card_latency
    for code, name in catalogue:
        state.books.add_card(code, name)
    uvicorn.run(build_app(state), host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/status", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the POHODA simulator did not start")


def _context(url: str) -> ConnectionContext:
    return ConnectionContext(
        connection_id="bench-pohoda",
        settings={"url": url, "ico": "12345678", "batchSize": 50, "pageSize": 10000},
        credentials={"username": "Spojka", "password": "simulované-heslo"},
    )


async def _orders(session: PohodaSession, factory: Factory, n: int, latency: float) -> list[Figure]:
    options = OrderOptions(vat_rates={"21": "high", "12": "low", "0": "none"}, reserve_stock=True)
    orders = factory.orders(n)
    writes = [
        OrderWrite(ext_id=f"bench-{i:06d}", order=order, options=options) for i, order in enumerate(orders)
    ]
    say(f"orders: {n} orders into POHODA ({latency * 1000:g} ms per document)")
    started = time.perf_counter()
    created = 0
    for start in range(0, n, FIND_PER_CALL):
        page = writes[start : start + FIND_PER_CALL]
        if await session.find_orders([w.ext_id for w in page]):
            raise SystemExit("orders found before they were created")
        for first in range(0, len(page), CREATE_PER_CALL):
            results = await session.create_orders(page[first : first + CREATE_PER_CALL])
            failed = [r for r in results if r.outcome != "created"]
            if failed:
                raise SystemExit(f"orders not created: {failed[:3]}")
            created += len(results)
        if created % 500 == 0:
            say(f"  {created} orders, {created / (time.perf_counter() - started):.1f} per second")
    elapsed = time.perf_counter() - started
    limit = 1 / latency
    rate = n / elapsed
    say(f"orders: {n} in {elapsed:.1f} s: {rate:.1f} orders/s; the simulator's limit is {limit:.1f}/s")
    return [
        Figure("pohoda.orders.rate", rate, "orders/s", target=round(limit * TARGET_SHARE, 3)),
        Figure("pohoda.orders.limit", limit, "orders/s"),
        Figure("pohoda.orders.share_of_limit", rate / limit * 100, "%", target=TARGET_SHARE * 100),
    ]


async def _stock(session: PohodaSession, url: str, m: int, latency: float) -> list[Figure]:
    pages = [page async for page in session.read_stock(None, until=datetime.now(UTC))]
    cursor = pages[-1].cursor
    before = sum(len(p.levels) for p in pages)
    async with httpx.AsyncClient(timeout=120) as control:
        generate = {"count": m, "prefix": "BENCH-"}
        response = await control.post(url + "/_simulator/stock/generate", json=generate)
        response.raise_for_status()
    say(f"stock: {m} cards changed since the cursor ({latency * 1_000_000:g} µs per card), {before} before")
    started = time.perf_counter()
    read = 0
    async for page in session.read_stock(cursor, until=datetime.now(UTC)):
        read += len(page.levels)
    elapsed = time.perf_counter() - started
    if read != m:
        raise SystemExit(f"stock: read {read} cards, expected {m}")
    limit = 1 / latency
    rate = read / elapsed
    say(f"stock: {read} cards in {elapsed:.1f} s: {rate:,.0f} cards/s; the simulator's limit: {limit:,.0f}/s")
    return [
        Figure("pohoda.stock.rate", rate, "cards/s", target=round(limit * TARGET_SHARE, 3)),
        Figure("pohoda.stock.limit", limit, "cards/s"),
        Figure("pohoda.stock.share_of_limit", rate / limit * 100, "%", target=TARGET_SHARE * 100),
        Figure("pohoda.stock.seconds", elapsed, "s"),
    ]


async def _run(args: argparse.Namespace, url: str, factory: Factory) -> list[Figure]:
    figures: list[Figure] = []
    async with connector.open(_context(url)) as session:
        if "orders" in args.scenarios:
            figures += await _orders(session, factory, args.orders, args.order_latency)
        if "stock" in args.scenarios:
            figures += await _stock(session, url, args.cards, args.card_latency)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--order-latency", type=float, default=0.025, help="seconds per imported document")
    parser.add_argument("--card-latency", type=float, default=0.0005, help="seconds per exported card")
    parser.add_argument("--scenarios", type=lambda s: set(s.split(",")), default={"orders", "stock"})
    args = parser.parse_args(argv)

    factory = Factory(seed=7, catalogue_size=40)
    catalogue = [(item.code, item.name) for p in factory.catalogue for item in (p.variants or (p,))]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=_serve, args=(port, args.order_latency, args.card_latency, catalogue), daemon=True
    )
    child.start()
    try:
        _wait_until_up(url)
        figures: list[Any] = asyncio.run(_run(args, url, factory))
    finally:
        child.terminate()
        child.join(10)
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
