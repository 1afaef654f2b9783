"""Order reads against the simulator: paging, change-time filters, repeated changes, the mapping."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

from spojka.connector.capabilities import OrderPage
from spojka.connector.model import Order, order_total_problems
from spojka.connector.testing.checks import model_problems
from tests.connectors.shoptet.conftest import Shop, opened


def _flat(pages: list[OrderPage]) -> list[Order]:
    return [o for p in pages for o in p.orders]


async def _read(shop: Shop, cursor: str | None = None, **settings: object) -> list[OrderPage]:
    async with opened(shop, **settings) as session:
        # The simulator's clock may run ahead of ours (clock_offset): read up to its present.
        return [p async for p in session.read_orders(cursor, until=shop.state.now())]


def _codes(shop: Shop) -> list[str]:
    return [v.code for p in shop.state.products.values() for v in p.variants]


async def test_paging_over_several_pages_of_the_list_and_the_changes_log(shop: Shop) -> None:
    shop.state.orders_per_page = 2
    shop.state.changes_per_page = 2
    codes = _codes(shop)
    placed = [shop.state.add_order([(codes[i % len(codes)], Decimal(1))]).code for i in range(9)]
    first = await _read(shop, pageSize=4)
    assert [len(p.orders) for p in first] == [4, 4, 1]
    assert sorted(o.source_id for o in _flat(first)) == sorted(placed)
    list_pages = [q for m, path, q in shop.state.request_log if path == "/api/orders"]
    assert len(list_pages) == 5  # 9 orders, 2 a page
    # The change-time filter went as Shoptet's format, its "+" encoded (a raw "+" would be a space).
    query = parse_qs(list_pages[0])
    assert query["changeTimeTo"][0].endswith(("+0100", "+0200"))
    assert "%2B" in list_pages[0]

    shop.state.clock_offset = timedelta(seconds=2)  # later changes in a later second
    for code in placed[:5]:
        shop.state.change_order(code, status_id=-2)
    again = await _read(shop, first[-1].cursor, pageSize=4)
    assert sorted(o.source_id for o in _flat(again)) == sorted(placed[:5])
    change_pages = [q for m, path, q in shop.state.request_log if path == "/api/orders/changes"]
    assert len(change_pages) == 5  # the log from the cursor's second holds all 9 orders, 2 a page
    assert await _read(shop, again[-1].cursor) == []


async def test_an_order_changed_twice_between_polls_is_read_once_as_it_is_now(shop: Shop) -> None:
    order = shop.state.add_order()
    pages = await _read(shop)
    assert _flat(pages)[0].status == "-1"
    shop.state.clock_offset = timedelta(seconds=2)
    shop.state.change_order(order.code, status_id=-2)
    shop.state.clock_offset = timedelta(seconds=4)
    shop.state.change_order(order.code, paid=True)
    again = _flat(await _read(shop, pages[-1].cursor))
    assert [o.source_id for o in again] == [order.code]
    assert again[0].status == "-2"
    assert again[0].paid
    assert again[0].changed_at is not None
    assert again[0].changed_at > _flat(pages)[0].created_at


async def test_a_change_in_the_same_second_as_the_cursor_is_not_skipped(shop: Shop) -> None:
    """Keys within one second are not in change order: the cursor remembers what it handed out."""
    first, second = shop.state.add_order(), shop.state.add_order()
    pages = await _read(shop)
    # A lower code changed within the same second would sort before the last one handed out.
    shop.state.change_order(first.code, status_id=-2)
    later = shop.state.add_order()
    again = [o.source_id for o in _flat(await _read(shop, pages[-1].cursor))]
    if first.change_time == second.change_time == later.change_time:
        assert again == [later.code]  # first's change is in a second already handed out for it
    assert later.code in again


async def test_the_order_maps_to_the_canonical_model(shop: Shop) -> None:
    variant = shop.state.products[next(iter(shop.state.products))].variants[0]
    order = shop.state.add_order(
        [(variant.code, Decimal(3))], currency="EUR", exchange_rate=Decimal("25.125")
    )
    shop.state.orders[order.code].customer_remark = "Zazvoňte dvakrát"
    async with opened(shop, statusMapping={"-1": "received"}) as session:
        mapped = await session.get_order(order.code)
        assert await session.get_order("1999999999") is None
    assert mapped is not None
    assert model_problems(mapped) == []
    assert order_total_problems(mapped) == []
    assert (mapped.currency, mapped.exchange_rate, mapped.status, mapped.paid) == (
        "EUR",
        Decimal("25.125"),
        "received",
        False,
    )
    assert mapped.status_name == "Nevyřízená"
    assert mapped.note == "Zazvoňte dvakrát"
    assert mapped.billing_address.company_id == "27082440"
    assert mapped.billing_address.vat_id == "CZ27082440"
    assert mapped.customer.vat_id == "CZ27082440"
    assert mapped.delivery_address is not None
    assert mapped.delivery_address.city == "Brno"
    assert [line.kind for line in mapped.lines] == ["item", "shipping", "payment"]
    item = mapped.lines[0]
    assert (item.code, item.quantity, item.vat_rate) == (variant.code, Decimal(3), variant.vat_rate)
    assert item.total_gross == variant.price * 3
    assert item.total_net is not None
    assert item.total_net < item.total_gross
    assert mapped.shipping is not None
    assert mapped.shipping.name == "PPL"
    assert mapped.payment is not None
    assert mapped.totals is not None
    assert mapped.totals.gross == item.total_gross + Decimal("99.00")


async def test_statuses_to_transfer_filter_orders_but_move_the_cursor(shop: Shop) -> None:
    kept = shop.state.add_order(status_id=-2)
    shop.state.add_order(status_id=-1)
    pages = await _read(shop, statusesToTransfer=[-2])
    assert [o.source_id for o in _flat(pages)] == [kept.code]
    assert await _read(shop, pages[-1].cursor, statusesToTransfer=[-2]) == []


async def test_a_cancelled_and_a_deleted_order(shop: Shop) -> None:
    cancelled, deleted = shop.state.add_order(status_id=-4), shop.state.add_order()
    shop.state.delete_order(deleted.code)
    orders = _flat(await _read(shop))
    assert [(o.source_id, o.cancelled) for o in orders] == [(cancelled.code, True)]
