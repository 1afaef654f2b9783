"""``orders``: new and changed e-shop orders into accounting, exactly once each.

Per page read from the e-shop:
1. look up the bindings of the page's orders; unchanged ones are skipped;
2. for orders without a target, ask accounting which of their external ids it already has (a
   previous attempt may have committed there and then lost the answer) and bind those;
3. create the rest in one batch; each result becomes a binding (or a failed event);
4. changed orders follow the link's policy: update in place, delete and re-create while untouched,
   or flag for review;
5. store the page's bindings, events and the cursor in one transaction.

A crash anywhere repeats at most the current page, and step 2 keeps the repeat from writing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from spojka.connector import RecordError
from spojka.connector import capabilities as cap
from spojka.connector.capabilities import OrderOptions, OrderWrite, WriteResult
from spojka.connector.model import Order
from spojka.sync import cursors
from spojka.sync.bindings import BindingState, BindingStore
from spojka.sync.flows.base import FlowContext, content_hash

ENTITY = "order"
INVOICE_ENTITY = "invoice"
STREAM = "orders"
CREATE_BATCH = 50
RETRY_FAILED_LIMIT = 100


def ext_id(ctx: FlowContext, order: Order) -> str:
    """The external id accounting stores with the order: unique per link and e-shop order."""
    return f"{ctx.link_id.hex[:12]}-{order.source_id}"[:64]


def _order_hash(order: Order) -> str:
    # The change time alone is not a change worth writing.
    return content_hash(msgspec.structs.replace(order, changed_at=None))


def _options(ctx: FlowContext, order: Order) -> OrderOptions:
    s = ctx.flows.orders
    return OrderOptions(
        status=s.status_map.get(order.status),
        payment_type=s.payment_map.get(order.payment.code) if order.payment else None,
        carrier=s.shipping_map.get(order.shipping.code) if order.shipping else None,
        warehouse=s.warehouse,
        number_series=s.number_series,
        reserve_stock=s.reserve_stock and cap.STOCK_RESERVE in ctx.books_spec.capabilities,
        vat_rates=dict(s.vat_map),
    )


def _wanted(ctx: FlowContext, order: Order) -> bool:
    statuses = ctx.flows.orders.statuses
    return not statuses or order.status in statuses


async def run_orders(ctx: FlowContext) -> None:
    ctx.require(ctx.eshop_spec, cap.ORDERS_READ, "read orders")
    ctx.require(ctx.books_spec, cap.ORDERS_WRITE, "receive orders")
    store = BindingStore(ctx.tenant_id, ctx.link_id, ENTITY)
    if ctx.source_ids:
        orders = [o for o in [await ctx.eshop.get_order(i) for i in ctx.source_ids] if o is not None]
        await _process_page(ctx, store, orders, cursor=None, move_cursor=False)
        return
    await _retry_failed(ctx, store)
    cursor = await ctx.load_cursor(STREAM)
    async for page in ctx.eshop.read_orders(cursor, until=ctx.started_at):
        await _process_page(ctx, store, list(page.orders), cursor=page.cursor, move_cursor=True)


async def _retry_failed(ctx: FlowContext, store: BindingStore) -> None:
    """Orders that failed before are read again, so a fixed mapping lets them through."""
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        failed = await store.with_state(session, "failed", RETRY_FAILED_LIMIT)
    if failed:
        orders = [o for o in [await ctx.eshop.get_order(b.source_id) for b in failed] if o is not None]
        await _process_page(ctx, store, orders, cursor=None, move_cursor=False)


async def _process_page(
    ctx: FlowContext, store: BindingStore, orders: list[Order], *, cursor: str | None, move_cursor: bool
) -> None:
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        bindings = await store.get_many(session, [o.source_id for o in orders])
    updates: list[BindingState] = []
    new: list[Order] = []
    changed: list[tuple[Order, BindingState]] = []
    for order in orders:
        if not _wanted(ctx, order):
            ctx.recorder.record(
                ENTITY, "skipped", action="filter", source_id=order.source_id, label=order.number
            )
            continue
        binding = bindings.get(order.source_id)
        digest = _order_hash(order)
        if binding is None or binding.target_id is None:
            new.append(order)
        elif binding.content_hash == digest:
            ctx.recorder.record(
                ENTITY, "skipped", action="unchanged", source_id=order.source_id, label=order.number
            )
        else:
            changed.append((order, binding))
    updates += await _create(ctx, new)
    for order, binding in changed:
        updates.append(await _change(ctx, order, binding))
    updates += await _invoices(ctx, orders, updates, bindings)
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        await store.save(
            session, [u for u in updates if u.source_id and not u.source_id.startswith("invoice:")]
        )
        invoices = [
            BindingState(u.source_id.removeprefix("invoice:"), u.target_id, u.content_hash, u.state)
            for u in updates
            if u.source_id.startswith("invoice:")
        ]
        await BindingStore(ctx.tenant_id, ctx.link_id, INVOICE_ENTITY).save(session, invoices)
        await ctx.recorder.flush(session)
        if move_cursor:
            await cursors.store(session, ctx.tenant_id, ctx.link_id, ctx.flow, STREAM, cursor)


async def _create(ctx: FlowContext, orders: Sequence[Order]) -> list[BindingState]:
    if not orders:
        return []
    writes = {
        ext_id(ctx, o): OrderWrite(ext_id=ext_id(ctx, o), order=o, options=_options(ctx, o)) for o in orders
    }
    existing = await ctx.books.find_orders(list(writes))
    states: list[BindingState] = []
    for key, target in existing.items():
        order = writes.pop(key).order
        states.append(BindingState(order.source_id, target, _order_hash(order), "synced"))
        ctx.recorder.record(
            ENTITY,
            "skipped",
            action="found",
            source_id=order.source_id,
            target_id=target,
            label=order.number,
            message="Already in accounting (found by its external id); linked, not created again.",
        )
    pending = list(writes.values())
    for start in range(0, len(pending), CREATE_BATCH):
        batch = pending[start : start + CREATE_BATCH]
        results = await ctx.books.create_orders(batch)
        by_key = {r.key: r for r in results}
        for write in batch:
            states.append(_created_state(ctx, write, by_key.get(write.ext_id)))
    if any(s.state == "synced" for s in states):
        ctx.follow_ups.add("stock")
    return states


def _created_state(ctx: FlowContext, write: OrderWrite, result: WriteResult | None) -> BindingState:
    order = write.order
    if result is None or result.outcome == "failed" or result.target_id is None:
        message = result.message if result else "Accounting gave no answer for this order."
        ctx.recorder.record(
            ENTITY, "failed", action="create", source_id=order.source_id, label=order.number, message=message
        )
        return BindingState(order.source_id, None, None, "failed")
    ctx.recorder.record(
        ENTITY,
        "created",
        action="create",
        source_id=order.source_id,
        target_id=result.target_id,
        label=order.number,
        message=result.message or None,
    )
    return BindingState(order.source_id, result.target_id, _order_hash(order), "synced")


async def _change(ctx: FlowContext, order: Order, binding: BindingState) -> BindingState:
    """An order already in accounting changed in the e-shop."""
    assert binding.target_id is not None
    digest = _order_hash(order)
    write = OrderWrite(ext_id=ext_id(ctx, order), order=order, options=_options(ctx, order))
    label = order.number
    try:
        if cap.ORDERS_UPDATE in ctx.books_spec.capabilities:
            result = await ctx.books.update_order(binding.target_id, write)
            if result.outcome == "failed":
                raise RecordError(result.message)
            ctx.recorder.record(
                ENTITY,
                "updated",
                action="update",
                source_id=order.source_id,
                target_id=binding.target_id,
                label=label,
                message=result.message or None,
            )
            ctx.follow_ups.add("stock")
            return BindingState(order.source_id, binding.target_id, digest, "synced")
        if ctx.flows.orders.on_change == "recreate" and cap.ORDERS_DELETE in ctx.books_spec.capabilities:
            return await _recreate(ctx, write, binding)
    except RecordError as exc:
        ctx.recorder.record(
            ENTITY,
            "failed",
            action="change",
            source_id=order.source_id,
            target_id=binding.target_id,
            label=label,
            message=exc.message,
        )
        return BindingState(order.source_id, binding.target_id, binding.content_hash, "review")
    ctx.recorder.record(
        ENTITY,
        "skipped",
        action="flag",
        source_id=order.source_id,
        target_id=binding.target_id,
        label=label,
        message=(
            "The order changed in the e-shop after it was transferred "
            f"(now {order.status_name or order.status}"
            f"{', cancelled' if order.cancelled else ''}). {ctx.books_spec.title} cannot update it: "
            "review it in accounting."
        ),
    )
    return BindingState(order.source_id, binding.target_id, digest, "review")


async def _recreate(ctx: FlowContext, write: OrderWrite, binding: BindingState) -> BindingState:
    assert binding.target_id is not None
    order = write.order
    deleted = await ctx.books.delete_order(binding.target_id)
    if deleted.outcome == "failed":
        raise RecordError(f"It could not be replaced: {deleted.message}")
    if order.cancelled:
        ctx.recorder.record(
            ENTITY,
            "updated",
            action="delete",
            source_id=order.source_id,
            target_id=binding.target_id,
            label=order.number,
            message="Cancelled in the e-shop: deleted from accounting.",
        )
        ctx.follow_ups.add("stock")
        return BindingState(order.source_id, None, _order_hash(order), "cancelled")
    results = await ctx.books.create_orders([write])
    result = results[0] if results else None
    if result is None or result.outcome == "failed" or result.target_id is None:
        why = result.message if result else "no answer"
        raise RecordError(f"It was deleted for re-creation, but creating it again failed: {why}")
    ctx.recorder.record(
        ENTITY,
        "updated",
        action="recreate",
        source_id=order.source_id,
        target_id=result.target_id,
        label=order.number,
        message="Changed in the e-shop: deleted and created again in accounting.",
    )
    ctx.follow_ups.add("stock")
    return BindingState(order.source_id, result.target_id, _order_hash(order), "synced")


def _invoice_due(ctx: FlowContext, order: Order) -> bool:
    s = ctx.flows.orders
    if s.invoice == "on_create":
        return True
    if s.invoice == "on_paid":
        return order.paid
    if s.invoice == "on_statuses":
        return order.status in s.invoice_statuses
    return False


async def _invoices(
    ctx: FlowContext, orders: Sequence[Order], states: Sequence[BindingState], before: dict[str, BindingState]
) -> list[BindingState]:
    if ctx.flows.orders.invoice == "never" or cap.INVOICES_WRITE not in ctx.books_spec.capabilities:
        return []
    targets = {s.source_id: s.target_id for s in states if s.target_id and s.state == "synced"}
    targets |= {k: b.target_id for k, b in before.items() if b.target_id and k not in targets}
    due = [o for o in orders if o.source_id in targets and not o.cancelled and _invoice_due(ctx, o)]
    if not due:
        return []
    store = BindingStore(ctx.tenant_id, ctx.link_id, INVOICE_ENTITY)
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        done = await store.get_many(session, [o.source_id for o in due])
    made: list[BindingState] = []
    for order in due:
        if order.source_id in done:
            continue
        write = OrderWrite(ext_id=ext_id(ctx, order), order=order, options=_options(ctx, order))
        try:
            result = await ctx.books.create_invoice(targets[order.source_id], write)
        except RecordError as exc:
            result = WriteResult(key=write.ext_id, outcome="failed", message=exc.message)
        if result.outcome == "failed" or not result.target_id:
            ctx.recorder.record(
                INVOICE_ENTITY,
                "failed",
                action="create",
                source_id=order.source_id,
                label=order.number,
                message=result.message,
            )
            continue
        ctx.recorder.record(
            INVOICE_ENTITY,
            "created",
            action="create",
            source_id=order.source_id,
            target_id=result.target_id,
            label=order.number,
        )
        made.append(BindingState("invoice:" + order.source_id, result.target_id, None, "synced"))
    return made
