"""``options.read`` on Shoptet: the e-shop's statuses, payment and shipping methods and VAT rates,
valued exactly as the orders read through the connector carry them (the link's maps are keyed so)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from spojka.connector import FatalError, RateLimit
from spojka.connector.capabilities import RemoteOptions
from spojka.connector.model import Order
from spojka.connector.testing.contract import options_problems
from spojka_connectors.shoptet import ShoptetConnector
from spojka_connectors.shoptet.options import vat_key
from spojka_connectors.shoptet.simulator import Fault, SimTaxClass
from tests.connectors.shoptet.conftest import Shop, opened


def _codes(shop: Shop) -> list[str]:
    return [v.code for p in shop.state.products.values() for v in p.variants]


async def _orders_and_options(shop: Shop, **settings: object) -> tuple[list[Order], RemoteOptions]:
    async with opened(shop, **settings) as session:
        pages = [p async for p in session.read_orders(None, until=datetime.now(UTC))]
        options = await session.read_options()
    return [o for p in pages for o in p.orders], options


def _place_orders(shop: Shop) -> None:
    codes = _codes(shop)
    state = shop.state
    state.add_order([(codes[0], Decimal(1)), (codes[-1], Decimal(2))], status_id=-2)
    state.add_order(
        [(codes[1], Decimal(1))],
        status_id=1,
        shipping=("Zásilkovna - výdejní místo", Decimal(79)),
        payment=("Dobírka", Decimal(39)),
    )
    state.add_order(status_id=-4, shipping=("Osobní odběr - Praha", Decimal(0)))
    # A method the e-shop did not list yet: placing the order adds it, as a merchant would first.
    state.add_order(shipping=("Balíkovna", Decimal(65)), payment=("Platba kartou online", Decimal(0)))


async def test_every_value_an_order_carries_is_an_option_with_the_shoptet_name(shop: Shop) -> None:
    _place_orders(shop)
    orders, options = await _orders_and_options(shop)
    assert len(orders) == 4
    assert not options_problems(options)
    statuses = {o.value: o.label for o in options.order_statuses}
    payments = {o.value: o.label for o in options.payment_methods}
    shippings = {o.value: o.label for o in options.shipping_methods}
    rates = {o.value for o in options.vat_rates}
    for order in orders:
        assert statuses[order.status] == order.status_name
        assert order.payment is not None
        assert order.shipping is not None
        assert payments[order.payment.code] == order.payment.name
        assert shippings[order.shipping.code] == order.shipping.name
        assert {vat_key(line.vat_rate) for line in order.lines} <= rates
    # The whole lists, in the administration's order.
    assert list(statuses.items())[:4] == [
        ("-1", "Nevyřízená"),
        ("-2", "Vyřizuje se"),
        ("-3", "Vyřízena"),
        ("-4", "Stornována"),
    ]
    assert statuses["1"] == "Zaplacena"
    assert "Bankovní převod" in payments.values()
    assert "Balíkovna" in shippings.values()
    assert "PPL" in shippings.values()
    assert [(o.value, o.label) for o in options.vat_rates] == [
        ("21", "21 % (Základní sazba)"),
        ("12", "12 % (Snížená sazba)"),
        ("0", "0 % (bez DPH)"),
    ]
    assert options.number_series == ()
    assert options.warehouses == ()


async def test_the_status_mapping_setting_values_the_statuses(shop: Shop) -> None:
    _place_orders(shop)
    mapping = {"-1": "nova", "1": "nova", "-3": "hotova"}
    orders, options = await _orders_and_options(shop, statusMapping=mapping)
    assert not options_problems(options)
    statuses = {o.value: o.label for o in options.order_statuses}
    # Two Shoptet statuses mapped to one name are one option: the map has one key for both.
    assert statuses["nova"] == "Nevyřízená / Zaplacena"
    assert statuses["hotova"] == "Vyřízena"
    assert statuses["-2"] == "Vyřizuje se"
    assert "-1" not in statuses
    assert "1" not in statuses
    assert {o.status for o in orders} == {"-2", "nova", "-4"}
    assert {o.status for o in orders} <= set(statuses)


async def test_vat_rates_of_every_zone_are_keyed_like_the_vat_map(shop: Shop) -> None:
    shop.state.tax_classes = [
        SimTaxClass("Základní sazba", (("Default Zone", "21.00"), ("Německo", "19.00")), is_default=True),
        SimTaxClass("Snížená sazba", (("Default Zone", "12.00"), ("Slovensko", "10.50"))),
        SimTaxClass("Nulová sazba", (("Default Zone", "0.00"),)),
    ]
    async with opened(shop) as session:
        options = await session.read_options()
    assert [(o.value, o.label) for o in options.vat_rates] == [
        ("21", "21 % (Základní sazba)"),
        ("19", "19 % (Základní sazba, Německo)"),
        ("12", "12 % (Snížená sazba)"),
        ("10.5", "10,5 % (Snížená sazba, Slovensko)"),
        ("0", "0 % (Nulová sazba)"),
    ]


async def test_reads_go_through_the_rate_limited_client(shop: Shop) -> None:
    """A 429 storm is waited out as Retry-After says, and many editors at once never exceed the
    token's 3 connections: the client's limits apply to these reads too."""
    shop.state.inject(Fault("storm", count=1, seconds=1, path_prefix="/api/payment-methods"))
    started = time.monotonic()
    async with opened(shop) as session:
        options = await session.read_options()
    assert time.monotonic() - started >= 1.0
    assert options.payment_methods
    assert shop.state.faults == []

    state = shop.state
    state.limits_enabled, state.max_connections = True, 3
    state.bucket_size, state.time_scale = 200, 10.0
    paced = ShoptetConnector(rate_limits=RateLimit(max_concurrency=3, bucket_size=200, leak_per_second=100))
    async with paced.open(shop.context()) as session:
        answers = await asyncio.gather(*(session.read_options() for _ in range(8)))
    assert all(a == answers[0] for a in answers)
    assert state.throttled == 0
    paths = [path for _, path, _ in state.request_log]
    assert paths.count("/api/shipping-methods") >= 9


async def test_a_token_without_the_rights_fails_in_words_without_the_token(shop: Shop) -> None:
    shop.state.rights.discard("shipping-methods")
    async with opened(shop) as session:
        with pytest.raises(FatalError) as caught:
            await session.read_options()
    assert "lacks the rights for GET /api/shipping-methods" in caught.value.message
    assert shop.state.token not in caught.value.message
    assert shop.state.token[:3] + ".." not in caught.value.message
