"""Shoptet connector benchmark: is the API's rate limit, not our code, the bottleneck?

Runs the real connector over real HTTP against the Shoptet simulator with its documented limits ON:
a leaky bucket of 200 drops leaking 10 a second (one drop a request), at most 3 connections a token.

1. ``stock``: a stock sync of 100,000 codes (``PATCH /api/stocks/1/movements``, 300 rows a request:
   334 requests, one after another, as Shoptet's 423 on a concurrently written URL demands).
2. ``orders``: an orders read of 500 orders (the order list, 50 a page, and one detail per order:
   510 requests, 3 at a time).

Each scenario starts with the bucket full (the steady state of a busy e-shop, and the case that
matters: an empty bucket lets 200 requests through at once and says little). From then on requests
can go at the leak rate, 10 a second, and no faster. The figure is the rate achieved, from the times
the simulator received the requests, next to that allowed rate: the target is 90 % of it or more,
with no request refused (429).

Time is scaled: 334 requests at 10 a second would take half a minute and 510 nearly a minute, so the
simulator's bucket leaks on a clock ``--time-scale`` times faster than the wall clock (default 5),
and the connector is told the same scaled rate. Every figure is converted back to Shoptet seconds
(wall seconds times the scale), so an achieved "10 requests/s" means exactly the documented limit.

Progress is printed as it goes; the figures come LAST as JSON lines (see ``_report.py``).

Usage: ``.venv/bin/python bench/bench_shoptet.py [--time-scale 5] [--codes 100000] [--orders 500]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import UTC, datetime
from decimal import Decimal

from _report import Figure, emit, say

from spojka.connector import ConnectionContext, MemoryState, RateLimit
from spojka.connector.model import StockLevel
from spojka_connectors.shoptet import ShoptetConnector
from spojka_connectors.shoptet.simulator import SimVariant, State, build_app, serving

BUCKET = 200
LEAK = 10.0
CONNECTIONS = 3
TARGET_SHARE = 0.9


def limited_state(scale: float) -> State:
    """A simulated e-shop with Shoptet's documented limits on, its bucket on a scaled clock."""
    return State(
        limits_enabled=True,
        bucket_size=BUCKET,
        leak_per_second=LEAK,
        max_connections=CONNECTIONS,
        time_scale=scale,
    )


def connector_for(scale: float) -> ShoptetConnector:
    """The connector, pacing itself by the same limits on the same scaled clock."""
    return ShoptetConnector(
        rate_limits=RateLimit(max_concurrency=CONNECTIONS, bucket_size=BUCKET, leak_per_second=LEAK * scale)
    )


def context(state: State, url: str) -> ConnectionContext:
    return ConnectionContext("bench", {"apiUrl": url, "stockId": 1}, {"apiToken": state.token}, MemoryState())


def rate_figures(name: str, unit: str, state: State, records: int, scale: float) -> list[Figure]:
    """The achieved rate next to the allowed one, from the times the simulator received requests.

    The bucket starts full, so from the first request on every request waits for the leak: the
    limits allow exactly ``LEAK`` requests per (Shoptet) second.
    """
    times = state.request_times
    requests = len(times)
    span = (times[-1] - times[0]) * scale if requests > 1 else 0.0  # Shoptet seconds
    achieved = (requests - 1) / span if span > 0 else 0.0
    say(
        f"  {name}: {requests} requests in {span:.1f} Shoptet seconds ({span / scale:.2f} s wall): "
        f"{achieved:.2f} requests/s achieved, {LEAK:.2f} requests/s allowed by the limits "
        f"({achieved / LEAK:.0%}); {state.throttled} refused with 429"
    )
    return [
        Figure(f"shoptet.{name}.achieved_rate", achieved, "requests/s", LEAK * TARGET_SHARE),
        Figure(f"shoptet.{name}.allowed_rate", LEAK, "requests/s"),
        Figure(f"shoptet.{name}.share_of_limit", achieved / LEAK, "ratio", TARGET_SHARE),
        Figure(f"shoptet.{name}.throughput", records / span if span > 0 else 0.0, f"{unit}/s"),
        Figure(f"shoptet.{name}.refused", state.throttled, "requests", 0, "<="),
    ]


async def stock_sync(codes: int, scale: float) -> list[Figure]:
    say(f"stock: {codes:,} codes, 300 a request, limits on (time x{scale:g})")
    state = limited_state(scale)
    for i in range(codes):
        state.add_product(f"Výrobek {i}", [SimVariant(code=f"B{i:06d}", price=Decimal("121.00"))])
    levels = [
        StockLevel(code=f"B{i:06d}", on_hand=Decimal(i % 50), reserved=Decimal(i % 3)) for i in range(codes)
    ]
    app = build_app(state)
    with serving(app) as url:
        async with connector_for(scale).open(context(state, url)) as session:
            app.bucket.fill(BUCKET - 1)  # the steady state: the first request fills the bucket
            results = await session.write_stock(levels)
    written = sum(r.outcome == "updated" for r in results)
    if written != codes:
        raise SystemExit(f"stock: {written} of {codes} codes written")
    say(f"  stock: {written:,} codes written in {len(state.request_times)} requests")
    return rate_figures("stock", "codes", state, codes, scale)


async def orders_read(count: int, scale: float) -> list[Figure]:
    say(f"orders: {count} orders, list 50 a page + one detail each, limits on (time x{scale:g})")
    state = limited_state(scale)
    state.add_product("Hrnek", [SimVariant(code="HRN-1", price=Decimal("249.00"))])
    state.add_product("Tričko", [SimVariant(code="TRI-1", price=Decimal("399.00"))])
    for i in range(count):
        state.add_order([("HRN-1", Decimal(1 + i % 2)), ("TRI-1", Decimal(1))])
    app = build_app(state)
    with serving(app) as url:
        async with connector_for(scale).open(context(state, url)) as session:
            app.bucket.fill(BUCKET - 1)
            pages = [p async for p in session.read_orders(None, until=datetime.now(UTC))]
    read = sum(len(p.orders) for p in pages)
    if read != count:
        raise SystemExit(f"orders: {read} of {count} orders read")
    say(f"  orders: {read} orders read in {len(state.request_times)} requests")
    return rate_figures("orders", "orders", state, count, scale)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--time-scale", type=float, default=5.0)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the figures
    say(
        f"Shoptet limits: bucket {BUCKET} drops, leak {LEAK:g}/s, {CONNECTIONS} connections; "
        f"simulator clock {args.time_scale:g}x faster than the wall clock (figures in Shoptet seconds)"
    )
    figures = await stock_sync(args.codes, args.time_scale)
    figures += await orders_read(args.orders, args.time_scale)
    emit(figures)


if __name__ == "__main__":
    asyncio.run(main())
