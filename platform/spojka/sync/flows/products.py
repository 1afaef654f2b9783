"""``products``: the e-shop catalogue into accounting stock cards (create or update)."""

from __future__ import annotations

from spojka.connector import capabilities as cap
from spojka.connector.model import Product
from spojka.sync import cursors
from spojka.sync.bindings import BindingState, BindingStore
from spojka.sync.flows.base import FlowContext, content_hash
from spojka.sync.recorder import Outcome

ENTITY = "product"
STREAM = "products"
WRITE_BATCH = 200


def sellable_items(product: Product) -> list[Product]:
    """A product with variants becomes one stock card per variant; without, itself."""
    if not product.variants:
        return [product]
    return [
        Product(
            source_id=v.source_id,
            code=v.code,
            name=v.name,
            ean=v.ean,
            unit=v.unit,
            vat_rate=v.vat_rate,
            sale_price_gross=v.sale_price_gross,
            sale_price_net=v.sale_price_net,
            purchase_price=v.purchase_price,
            currency=v.currency,
        )
        for v in product.variants
    ]


async def run_products(ctx: FlowContext) -> None:
    ctx.require(ctx.eshop_spec, cap.PRODUCTS_READ, "list its products")
    ctx.require(ctx.books_spec, cap.PRODUCTS_WRITE, "receive stock cards")
    store = BindingStore(ctx.tenant_id, ctx.link_id, ENTITY)
    cursor = await ctx.load_cursor(STREAM)
    async for page in ctx.eshop.read_products(cursor, until=ctx.started_at):
        items = {item.code: item for product in page.products for item in sellable_items(product)}
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            known = await store.get_many(session, items)
        changed = [
            p
            for code, p in items.items()
            if (b := known.get(code)) is None or b.content_hash != content_hash(p)
        ]
        for _ in range(len(items) - len(changed)):
            ctx.recorder.record(ENTITY, "skipped", action="unchanged")
        states: list[BindingState] = []
        for start in range(0, len(changed), WRITE_BATCH):
            batch = changed[start : start + WRITE_BATCH]
            results = {r.key: r for r in await ctx.books.upsert_products(batch)}
            for item in batch:
                result = results.get(item.code)
                if result is None or result.outcome == "failed":
                    ctx.recorder.record(
                        ENTITY,
                        "failed",
                        action="upsert",
                        source_id=item.code,
                        label=item.name,
                        message=result.message if result else "No answer for this product.",
                    )
                    continue
                outcome: Outcome = "updated" if item.code in known else "created"
                ctx.recorder.record(
                    ENTITY,
                    outcome,
                    action="upsert",
                    source_id=item.code,
                    target_id=result.target_id,
                    label=item.name,
                )
                states.append(BindingState(item.code, result.target_id, content_hash(item), "synced"))
        async with ctx.db.session(tenant_id=ctx.tenant_id) as session:
            await store.save(session, states)
            await ctx.recorder.flush(session)
            await cursors.store(session, ctx.tenant_id, ctx.link_id, ctx.flow, STREAM, page.cursor)
