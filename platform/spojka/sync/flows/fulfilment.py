"""``fulfilment``: orders settled in accounting marked done in the e-shop, once each.

Accounting reports a settled order once (the cursor moves past it), so a mark that fails keeps the
fulfilment in its binding and is tried again at the start of every later run until it goes
through.
"""

from __future__ import annotations

import msgspec

from spojka.connector import RecordError
from spojka.connector import capabilities as cap
from spojka.connector.model import Fulfilment
from spojka.sync import cursors
from spojka.sync.bindings import BindingState, BindingStore
from spojka.sync.flows.base import FlowContext
from spojka.sync.flows.orders import ENTITY as ORDER_ENTITY

ENTITY = "fulfilment"
STREAM = "fulfilment"
RETRY_FAILED_LIMIT = 200


async def run_fulfilment(ctx: FlowContext) -> None:
    ctx.require(ctx.books_spec, cap.FULFILMENT_READ, "report settled orders")
    ctx.require(ctx.eshop_spec, cap.ORDERS_FULFIL, "mark orders as done")
    done = BindingStore(ctx.tenant_id, ctx.link_id, ENTITY)
    await _retry_failed(ctx, done)
    orders = BindingStore(ctx.tenant_id, ctx.link_id, ORDER_ENTITY)
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
            previous = already.get(order.source_id)
            if previous is not None and previous.state == "synced":
                ctx.recorder.record(
                    ENTITY,
                    "skipped",
                    action="already",
                    source_id=order.source_id,
                    target_id=fulfilment.target_id,
                    label=fulfilment.order_number or None,
                )
                continue
            states.append(await _fulfil(ctx, order.source_id, _with_link_status(ctx, fulfilment)))
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            await done.save(session, states)
            await ctx.recorder.flush(session)
            await cursors.store(session, ctx.tenant_id, ctx.link_id, ctx.flow, STREAM, page.cursor)


def _with_link_status(ctx: FlowContext, fulfilment: Fulfilment) -> Fulfilment:
    """The fulfilment with the e-shop status the link chose for fulfilled orders, if it chose one."""
    wanted = ctx.flows.fulfilment.fulfilled_status
    if fulfilment.status != "fulfilled" or not wanted:
        return fulfilment
    return msgspec.structs.replace(fulfilment, eshop_status=wanted)


async def _retry_failed(ctx: FlowContext, done: BindingStore) -> None:
    async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
        failed = await done.with_state(session, "failed", RETRY_FAILED_LIMIT)
    states = [
        await _fulfil(ctx, binding.source_id, msgspec.json.decode(binding.retry_payload, type=Fulfilment))
        for binding in failed
        if binding.retry_payload is not None
    ]
    if states:
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            await done.save(session, states)
            await ctx.recorder.flush(session)


async def _fulfil(ctx: FlowContext, source_id: str, fulfilment: Fulfilment) -> BindingState:
    """Mark one order in the e-shop; the binding to store, ``failed`` with the fulfilment to retry."""
    label = fulfilment.order_number or None
    try:
        result = await ctx.eshop.fulfil_order(source_id, fulfilment)
        if result.outcome == "failed":
            raise RecordError(result.message)
    except RecordError as exc:
        ctx.recorder.record(
            ENTITY,
            "failed",
            action="fulfil",
            source_id=source_id,
            target_id=fulfilment.target_id,
            label=label,
            message=f"{exc.message} It is tried again on the next run.",
        )
        payload = msgspec.json.encode(fulfilment).decode()
        return BindingState(source_id, fulfilment.target_id, None, "failed", retry_payload=payload)
    tracking = f" ({fulfilment.carrier} {fulfilment.tracking_number})" if fulfilment.tracking_number else ""
    ctx.recorder.record(
        ENTITY,
        "updated",
        action="fulfil",
        source_id=source_id,
        target_id=fulfilment.target_id,
        label=label,
        message=f"Marked {fulfilment.status} in the e-shop{tracking}.",
    )
    return BindingState(source_id, fulfilment.target_id, fulfilment.tracking_number, "synced")
