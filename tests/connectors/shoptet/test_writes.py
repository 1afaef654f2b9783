"""Stock, purchase prices and fulfilment against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from spojka.connector.model import Fulfilment, StockLevel
from tests.connectors.shoptet.conftest import Shop, opened


def _level(code: str, on_hand: int, reserved: int = 0, price: str | None = None) -> StockLevel:
    return StockLevel(
        code=code,
        on_hand=Decimal(on_hand),
        reserved=Decimal(reserved),
        purchase_price=Decimal(price) if price is not None else None,
    )


async def test_a_partly_failed_stock_write_reports_each_record(shop: Shop) -> None:
    good, other = shop.add_single("STK-1"), shop.add_single("STK-2")
    bundle = shop.add_single("SET-1", kind="product-set")
    levels = [_level(good, 10, 2), _level("NO-SUCH-CODE", 1), _level(bundle, 4), _level(other, 7)]
    async with opened(shop) as session:
        results = await session.write_stock(levels)
    assert [(r.key, r.outcome) for r in results] == [
        ("STK-1", "updated"),
        ("NO-SUCH-CODE", "missing"),
        ("SET-1", "failed"),
        ("STK-2", "updated"),
    ]
    assert "product set" in results[2].message
    # quantity = on hand less reserved, written as a JSON number
    assert shop.state.stock_rows == [("STK-1", "quantity", Decimal(8)), ("STK-2", "quantity", Decimal(7))]


async def test_all_rows_refused_is_still_one_result_each(shop: Shop) -> None:
    async with opened(shop) as session:
        results = await session.write_stock([_level("NOPE-1", 1), _level("NOPE-2", 2)])
    assert [r.outcome for r in results] == ["missing", "missing"]


async def test_real_stock_and_batches_of_three_hundred(shop: Shop) -> None:
    codes = [shop.add_single(f"BULK-{i:04d}") for i in range(650)]
    async with opened(shop, stockField="realStock") as session:
        results = await session.write_stock([_level(c, 9, 4) for c in codes])
    assert {r.outcome for r in results} == {"updated"}
    assert len(results) == 650
    patches = [q for m, path, q in shop.state.request_log if m == "PATCH"]
    assert len(patches) == 3
    assert {field for _, field, _ in shop.state.stock_rows} == {"realStock"}
    found = shop.state.variant("BULK-0001")
    assert found is not None
    assert found[1].stock == 9


async def test_purchase_prices_go_to_the_default_price_list(shop: Shop) -> None:
    code = shop.add_single("BUY-1")
    async with opened(shop) as session:
        results = await session.write_purchase_prices(
            [_level(code, 1, price="80.5"), _level("NOPE", 1, price="1"), _level(code + "X", 1)]
        )
    assert [r.outcome for r in results] == ["updated", "missing", "unchanged"]
    found = shop.state.variant(code)
    assert found is not None
    assert found[1].buy_price == Decimal("80.50")
    assert ("PATCH", "/api/pricelists/1", "") in shop.state.request_log


async def test_fulfilment_sets_status_and_tracking_number_without_notifications(shop: Shop) -> None:
    order = shop.state.add_order()
    done = Fulfilment(
        target_id="A-1", carrier="PPL", tracking_number="DR1234567890E", settled_at=datetime.now(UTC)
    )
    async with opened(shop, suppressEmailSending=True, suppressSmsSending=True) as session:
        first = await session.fulfil_order(order.code, done)
        second = await session.fulfil_order(order.code, done)
        missing = await session.fulfil_order("1999000000", done)
    assert (first.outcome, second.outcome, missing.outcome) == ("updated", "unchanged", "missing")
    sim = shop.state.orders[order.code]
    assert (sim.status_id, sim.tracking_number) == (-3, "DR1234567890E")
    assert shop.state.notifications == [(order.code, False, False)]


async def test_fulfilment_sets_the_status_the_link_chose_from_the_shops_statuses(shop: Shop) -> None:
    orders = [shop.state.add_order() for _ in range(3)]
    async with opened(shop, statusMapping={"2": "odeslano"}) as session:
        listed = {o.value for o in (await session.read_options()).order_statuses}
        assert {"-2", "odeslano"} <= listed
        by_id = await session.fulfil_order(orders[0].code, Fulfilment(target_id="A-4", eshop_status="-2"))
        by_name = await session.fulfil_order(
            orders[1].code, Fulfilment(target_id="A-5", eshop_status="odeslano")
        )
        unknown = await session.fulfil_order(
            orders[2].code, Fulfilment(target_id="A-6", eshop_status="zmizela")
        )
    assert (by_id.outcome, by_name.outcome) == ("updated", "updated")
    assert [shop.state.orders[o.code].status_id for o in orders[:2]] == [-2, 2]
    assert unknown.outcome == "failed"
    assert "no order status 'zmizela'" in unknown.message
    assert shop.state.orders[orders[2].code].status_id == -1


async def test_a_tracking_number_over_32_characters_fails_and_is_not_cut(shop: Shop) -> None:
    order = shop.state.add_order()
    long = Fulfilment(target_id="A-2", tracking_number="X" * 33)
    async with opened(shop) as session:
        result = await session.fulfil_order(order.code, long)
    assert result.outcome == "failed"
    assert "33 characters" in result.message
    assert shop.state.orders[order.code].tracking_number is None
    assert shop.state.orders[order.code].status_id == -1


async def test_a_cancellation_sets_the_cancelled_status(shop: Shop) -> None:
    order = shop.state.add_order()
    async with opened(shop, cancelledStatusId=-4) as session:
        result = await session.fulfil_order(order.code, Fulfilment(target_id="A-3", status="cancelled"))
    assert result.outcome == "updated"
    assert shop.state.orders[order.code].status_id == -4
    assert shop.state.notifications == [(order.code, True, True)]


async def test_products_and_variants_are_read_with_purchase_prices(shop: Shop) -> None:
    async with opened(shop) as session:
        products = [
            p
            for page in [pg async for pg in session.read_products(None, until=datetime.now(UTC))]
            for p in page.products
        ]
    shirt = next(p for p in products if p.variants)
    assert [v.code for v in shirt.variants] == ["TRI-S", "TRI-M", "TRI-L"]
    assert all(v.parent_code == shirt.code and v.purchase_price is not None for v in shirt.variants)
    mug = next(p for p in products if p.name.startswith("Hrnek"))
    assert (mug.vat_rate, mug.sale_price_gross, mug.sale_price_net) == (
        Decimal(21),
        Decimal("249.00"),
        Decimal("205.79"),
    )
    assert mug.purchase_price == Decimal("136.95")
    assert mug.ean
