"""``fulfilment``: orders settled in accounting marked done in the e-shop, once each."""

from __future__ import annotations

from spojka.connector import RecordError
from spojka.connector import capabilities as cap
from spojka.sync import cursors
from spojka.sync.bindings import BindingState, BindingStore
from spojka.sync.flows.base import FlowContext
from spojka.sync.flows.orders import ENTITY as ORDER_ENTITY

ENTITY = "fulfilment"
STREAM = "fulfilment"


async def run_fulfilment(ctx: FlowContext) -> None:
    ctx.require(ctx.books_spec, cap.FULFILMENT_READ, "report settled orders")
    ctx.require(ctx.eshop_spec, cap.ORDERS_FULFIL, "mark orders as done")
    orders = BindingStore(ctx.tenant_id, ctx.link_id, ORDER_ENTITY)
    done = BindingStore(ctx.tenant_id, ctx.link_id, ENTITY)
    cursor = await ctx.load_cursor(STREAM)
    async for page in ctx.books.read_fulfilments(cursor, until=ctx.started_at):
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            by_target = await orders.by_target(session, [f.target_id for f in page.fulfilments])
            already = await done.get_many(session, [b.source_id for b in by_target.values()])
        states: list[BindingState] = []
        for fulfilment in page.fulfilments:
            order = by_target.get(fulfilment.target_id)
            if order is None:
                # Settled in accounting but not an order this link transferred (another shop's, or typed in).
                ctx.recorder.record(
                    ENTITY,
                    "skipped",
                    action="not-ours",
                    target_id=fulfilment.target_id,
                    label=fulfilment.order_number or None,
                )
                continue
            if order.source_id in already:
                ctx.recorder.record(
                    ENTITY,
                    "skipped",
                    action="already",
                    source_id=order.source_id,
                    target_id=fulfilment.target_id,
                    label=fulfilment.order_number or None,
                )
                continue
            try:
                result = await ctx.eshop.fulfil_order(order.source_id, fulfilment)
                if result.outcome == "failed":
                    raise RecordError(result.message)
            except RecordError as exc:
                ctx.recorder.record(
                    ENTITY,
                    "failed",
                    action="fulfil",
                    source_id=order.source_id,
                    target_id=fulfilment.target_id,
                    label=fulfilment.order_number or None,
                    message=exc.message,
                )
                continue
            tracking = (
                f" ({fulfilment.carrier} {fulfilment.tracking_number})" if fulfilment.tracking_number else ""
            )
            ctx.recorder.record(
                ENTITY,
                "updated",
                action="fulfil",
                source_id=order.source_id,
                target_id=fulfilment.target_id,
                label=fulfilment.order_number or None,
                message=f"Marked {fulfilment.status} in the e-shop{tracking}.",
            )
            states.append(
                BindingState(order.source_id, fulfilment.target_id, fulfilment.tracking_number, "synced")
            )
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            await done.save(session, states)
            await ctx.recorder.flush(session)
            await cursors.store(session, ctx.tenant_id, ctx.link_id, ctx.flow, STREAM, page.cursor)
