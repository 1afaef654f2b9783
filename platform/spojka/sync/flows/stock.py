"""``stock``: levels (and purchase prices) from accounting to the e-shop; only what changed is written.

The link's rule turns accounting's levels into one quantity per code: ``available`` (on hand minus
reserved, or what accounting states as available) or ``on_hand``; from one warehouse, or the sum or
maximum of several. Each code's last written value is kept as the binding's content hash, so a
second run with nothing changed writes nothing. A write that fails keeps the level in its binding:
an incremental read will not bring the code back, so the next run writes it again (unless accounting
has a newer level for it by then).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import msgspec

from spojka.connector import capabilities as cap
from spojka.connector.capabilities import WriteResult
from spojka.connector.model import ZERO, StockLevel
from spojka.links.flows import StockFlow
from spojka.sync import cursors
from spojka.sync.bindings import BindingState, BindingStore
from spojka.sync.flows.base import FlowContext
from spojka.sync.recorder import Outcome

STOCK_ENTITY = "stock"
PRICE_ENTITY = "price"
STREAM = "stock"
WRITE_BATCH = 1000
FULL_SCAN_FROM = 2000
RETRY_FAILED_LIMIT = 5000


def quantity(level: StockLevel, rule: str) -> Decimal:
    if rule == "on_hand":
        return level.on_hand
    if level.available is not None:
        return level.available
    return level.on_hand - level.reserved


def combine(levels: Iterable[StockLevel], settings: StockFlow) -> dict[str, StockLevel]:
    """One level per code by the link's rule (warehouses filtered, then summed or maxed)."""
    wanted = set(settings.warehouses)
    merged: dict[str, StockLevel] = {}
    for level in levels:
        if wanted and level.warehouse not in wanted:
            continue
        qty = quantity(level, settings.rule)
        current = merged.get(level.code)
        if current is None:
            merged[level.code] = StockLevel(
                code=level.code,
                warehouse=level.warehouse,
                on_hand=qty,
                available=qty,
                purchase_price=level.purchase_price,
            )
            continue
        assert current.available is not None
        total = current.available + qty if settings.combine == "sum" else max(current.available, qty)
        merged[level.code] = StockLevel(
            code=level.code,
            warehouse="*",
            on_hand=total,
            available=total,
            purchase_price=current.purchase_price or level.purchase_price,
        )
    return merged


def _fingerprint(value: Decimal | None) -> str:
    return "none" if value is None else str(value.normalize() + ZERO)


async def run_stock(ctx: FlowContext) -> None:
    ctx.require(ctx.books_spec, cap.STOCK_READ, "report stock levels")
    ctx.require(ctx.eshop_spec, cap.STOCK_WRITE, "receive stock levels")
    settings = ctx.flows.stock
    # Combining warehouses needs every warehouse of a code at once, so that mode reads everything.
    incremental = settings.combine == "single" or len(settings.warehouses) <= 1
    cursor = await ctx.load_cursor(STREAM) if incremental else None
    levels: list[StockLevel] = []
    last_cursor = cursor
    async for page in ctx.books.read_stock(cursor, until=ctx.started_at):
        levels.extend(page.levels)
        last_cursor = page.cursor
    merged = combine(levels, settings)
    stock_store = BindingStore(ctx.tenant_id, ctx.link_id, STOCK_ENTITY)
    price_store = BindingStore(ctx.tenant_id, ctx.link_id, PRICE_ENTITY)
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        for store in (stock_store, price_store):
            for failed in await store.with_state(session, "failed", RETRY_FAILED_LIMIT):
                if failed.retry_payload is not None and failed.source_id not in merged:
                    merged[failed.source_id] = msgspec.json.decode(failed.retry_payload, type=StockLevel)
        # A full read compares (nearly) every code: one scan of the link's bindings beats thousands
        # of IN-list lookups (see bench/README.md).
        if len(merged) > FULL_SCAN_FROM:
            stock_known = await stock_store.all(session)
            price_known = await price_store.all(session) if _prices_on(ctx) else {}
        else:
            stock_known = await stock_store.get_many(session, merged)
            price_known = await price_store.get_many(session, merged) if _prices_on(ctx) else {}
    stock_changes = [
        lvl
        for code, lvl in merged.items()
        if (b := stock_known.get(code)) is None or b.content_hash != _fingerprint(lvl.available)
    ]
    skipped = len(merged) - len(stock_changes)
    for _ in range(skipped):
        ctx.recorder.record(STOCK_ENTITY, "skipped", action="unchanged")
    stock_states = await _write(ctx, stock_changes, STOCK_ENTITY, stock_known, price=False)
    price_states: list[BindingState] = []
    if _prices_on(ctx):
        price_changes = [
            lvl
            for code, lvl in merged.items()
            if lvl.purchase_price is not None
            and ((b := price_known.get(code)) is None or b.content_hash != _fingerprint(lvl.purchase_price))
        ]
        price_states = await _write(ctx, price_changes, PRICE_ENTITY, price_known, price=True)
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        await stock_store.save(session, stock_states)
        await price_store.save(session, price_states)
        await ctx.recorder.flush(session)
        if incremental:
            await cursors.store(session, ctx.tenant_id, ctx.link_id, ctx.flow, STREAM, last_cursor)


def _prices_on(ctx: FlowContext) -> bool:
    return ctx.flows.stock.purchase_prices and cap.PRICES_WRITE in ctx.eshop_spec.capabilities


async def _write(
    ctx: FlowContext, changes: list[StockLevel], entity: str, known: dict[str, BindingState], *, price: bool
) -> list[BindingState]:
    states: list[BindingState] = []
    for start in range(0, len(changes), WRITE_BATCH):
        batch = changes[start : start + WRITE_BATCH]
        if price:
            results = await ctx.eshop.write_purchase_prices(batch)
        else:
            results = await ctx.eshop.write_stock(batch)
        by_code: dict[str, WriteResult] = {r.key: r for r in results}
        for level in batch:
            result = by_code.get(level.code)
            value = level.purchase_price if price else level.available
            if result is not None and result.outcome == "missing":
                ctx.recorder.record(
                    entity,
                    "skipped",
                    action="not-in-shop",
                    source_id=level.code,
                    label=level.code,
                    message=result.message or None,
                )
                states.append(BindingState(level.code, None, _fingerprint(value), "missing"))
                continue
            if result is None or result.outcome == "failed":
                message = result.message if result else "The e-shop gave no answer for this code."
                ctx.recorder.record(
                    entity,
                    "failed",
                    action="write",
                    source_id=level.code,
                    label=level.code,
                    message=f"{message} It is written again on the next run.",
                )
                # The e-shop still holds what was last written: keep its hash, so the comparison
                # stays true, and keep the level to write it again.
                before = known.get(level.code)
                states.append(
                    BindingState(
                        level.code,
                        before.target_id if before else None,
                        before.content_hash if before else None,
                        "failed",
                        retry_payload=msgspec.json.encode(level).decode(),
                    )
                )
                continue
            previous = known.get(level.code)
            outcome: Outcome = "updated" if previous and previous.content_hash else "created"
            ctx.recorder.record(
                entity,
                outcome,
                action="write",
                source_id=level.code,
                label=level.code,
                message=f"{'purchase price' if price else 'quantity'} {value}",
            )
            states.append(
                BindingState(level.code, result.target_id or level.code, _fingerprint(value), "synced")
            )
    return states
