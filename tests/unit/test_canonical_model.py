"""The canonical model: its rounding rule, total checks, JSON shape, and the rules types cannot hold
(aware datetimes, Decimal amounts), plus the factories that build realistic instances of it.

Decision on naive datetimes: the model refuses them. msgspec accepts a naive ``datetime`` both when a
struct is built and when JSON without an offset is decoded, so the rule is enforced by
:func:`spojka.connector.testing.checks.require_valid` / :func:`decode_model` (and by the contract
suite on everything a connector returns), not by the struct itself. The tests below accept either
the struct or the helper refusing, so they keep passing if the model later enforces it itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import msgspec
import pytest

from spojka.connector.capabilities import OrderPage, OrderWrite, WriteResult
from spojka.connector.model import (
    CENT,
    Fulfilment,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Totals,
    money,
    order_total_problems,
)
from spojka.connector.testing.checks import decode_model, model_problems, require_valid
from spojka.connector.testing.factories import (
    Factory,
    ean13_is_valid,
    ico_is_valid,
    sellable_codes,
    totals_of,
)

PRAGUE_WINTER = timezone(timedelta(hours=1))
WHEN = datetime(2024, 3, 1, 10, 30, tzinfo=PRAGUE_WINTER)


def line(**fields: object) -> OrderLine:
    values: dict[str, object] = {
        "name": "Hrnek",
        "quantity": Decimal(1),
        "unit_price_net": Decimal("100.00"),
        "unit_price_gross": Decimal("121.00"),
        "vat_rate": Decimal(21),
    }
    values.update(fields)
    return msgspec.convert(values, OrderLine)


def order(*lines: OrderLine, totals: Totals | None = None) -> Order:
    return Order(source_id="1", number="2024000001", created_at=WHEN, lines=lines, totals=totals)


# -- rounding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # half-up, not banker's rounding (which gives 0.02)
        ("2.675", "2.68"),
        ("-0.005", "-0.01"),  # half away from zero, as the accounting systems round
        ("1.004999", "1.00"),
        ("10", "10.00"),
    ],
)
def test_money_rounds_half_up_to_cents(value: str, rounded: str) -> None:
    result = money(Decimal(value))
    assert result == Decimal(rounded)
    assert result.as_tuple().exponent == -2


def test_line_totals_round_once_after_quantity_and_discount() -> None:
    # 3 x 33.335 = 100.005 -> 100.01 (rounding each unit first would give 3 x 33.34 = 100.02)
    net, gross = line(
        quantity=Decimal(3), unit_price_net=Decimal("33.335"), unit_price_gross=Decimal("40.335")
    ).computed_totals()
    assert (net, gross) == (Decimal("100.01"), Decimal("121.01"))
    # 10 % off 2 x 149.90: 269.82 exactly; 5 % off 0.35 kg x 189.90: 63.1417.. -> 63.14
    assert line(
        quantity=Decimal(2), unit_price_gross=Decimal("149.90"), discount_percent=Decimal(10)
    ).computed_totals()[1] == Decimal("269.82")
    assert line(
        quantity=Decimal("0.35"), unit_price_gross=Decimal("189.90"), discount_percent=Decimal(5)
    ).computed_totals()[1] == Decimal("63.14")


def test_document_totals_are_sums_of_rounded_lines() -> None:
    lines = [line(unit_price_net=Decimal("0.277"), unit_price_gross=Decimal("0.335")) for _ in range(3)]
    totals = totals_of(lines)
    # Each line rounds to 0.34, so the document is 1.02 (rounding the unrounded sum 1.005 gives 1.01).
    assert lines[0].computed_totals() == (Decimal("0.28"), Decimal("0.34"))
    assert totals == Totals(net=Decimal("0.84"), vat=Decimal("0.18"), gross=Decimal("1.02"))
    assert order_total_problems(order(*lines, totals=totals)) == []


# -- order_total_problems -----------------------------------------------------------------------------
def test_consistent_order_has_no_problems() -> None:
    good = line(total_net=Decimal("100.00"), total_gross=Decimal("121.00"))
    assert (
        order_total_problems(
            order(good, totals=Totals(net=Decimal(100), vat=Decimal(21), gross=Decimal(121)))
        )
        == []
    )


def test_a_wrong_line_total_is_named() -> None:
    wrong = line(
        code="HRN-1", quantity=Decimal(2), total_net=Decimal("200.00"), total_gross=Decimal("241.00")
    )
    problems = order_total_problems(order(wrong))
    assert problems == ["line 1 (HRN-1): gross total 241.00 != 242.00"]


def test_a_cent_of_difference_per_line_is_tolerated() -> None:
    # Remote systems that compute VAT per rate differ from the per-line rule by a cent per line.
    off_by_a_cent = line(total_net=Decimal("100.01"), total_gross=Decimal("120.99"))
    totals = Totals(net=Decimal("100.01"), vat=Decimal("20.98"), gross=Decimal("120.99"))
    assert order_total_problems(order(off_by_a_cent, totals=totals)) == []


def test_wrong_document_totals_are_caught() -> None:
    lines = (line(), line(code="B"))
    too_much = Totals(net=Decimal(200), vat=Decimal(42), gross=Decimal("242.50"))
    problems = order_total_problems(order(*lines, totals=too_much))
    assert any("order gross total 242.50 != sum of lines 242.00" in p for p in problems)
    assert any("net + VAT != gross" in p for p in problems)
    wrong_net = Totals(net=Decimal(190), vat=Decimal(52), gross=Decimal(242))
    assert order_total_problems(order(*lines, totals=wrong_net)) == [
        "order net total 190 != sum of lines 200.00"
    ]


def test_a_rounding_line_balances_the_document() -> None:
    lines = (
        line(unit_price_net=Decimal("82.56"), unit_price_gross=Decimal("99.90")),
        line(
            kind="rounding",
            name="Zaokrouhlení",
            unit_price_net=Decimal("0.10"),
            unit_price_gross=Decimal("0.10"),
            vat_rate=Decimal(0),
        ),
    )
    totals = Totals(net=Decimal("82.66"), vat=Decimal("17.34"), gross=Decimal("100.00"))
    assert order_total_problems(order(*lines, totals=totals)) == []


# -- JSON -------------------------------------------------------------------------------------------------
def test_msgspec_round_trip_of_every_canonical_type() -> None:
    factory = Factory(seed=42)
    objects: list[msgspec.Struct] = [
        *factory.orders(20),
        *factory.catalogue,
        *factory.stock_levels(),
        factory.fulfilment("17", "2024000001"),
        factory.order_write(),
        OrderPage(orders=tuple(factory.orders(2)), cursor="orders:2"),
        WriteResult(key="ext-1", outcome="created", target_id="1"),
    ]
    for value in objects:
        encoded = msgspec.json.encode(value)
        assert msgspec.json.decode(encoded, type=type(value)) == value
        assert model_problems(value) == []


def test_decimals_are_json_strings_never_floats() -> None:
    value = Factory(seed=1).order(currency="EUR")
    raw = json.loads(msgspec.json.encode(value), parse_float=lambda s: pytest.fail(f"a float in JSON: {s}"))
    assert raw["exchange_rate"] == "25.20"
    assert isinstance(raw["totals"]["gross"], str)
    for encoded_line in raw["lines"]:
        for name in (
            "quantity",
            "unit_price_net",
            "unit_price_gross",
            "vat_rate",
            "total_net",
            "total_gross",
        ):
            assert isinstance(encoded_line[name], str), name
    # Trailing zeros survive: 1.10 stays "1.10", exactly as the accounting system wrote it.
    assert msgspec.json.encode(Totals(net=Decimal("1.10"), vat=Decimal(0), gross=Decimal("1.10"))) == (
        b'{"net":"1.10","vat":"0","gross":"1.10"}'
    )


def test_json_numbers_decode_exactly_and_floats_are_flagged() -> None:
    # A JSON number decodes to the Decimal of its text (no binary float in between).
    assert msgspec.json.decode(b'{"net":0.1,"vat":0.2,"gross":0.3}', type=Totals).gross == Decimal("0.3")
    # A float put into a struct by hand is not caught by msgspec, but is by the model check.
    floaty = msgspec.structs.replace(Totals(net=CENT, vat=CENT, gross=CENT), gross=0.3)
    assert model_problems(floaty) == ["$.gross: float 0.3 where a Decimal belongs"]
    from_float = Decimal(0.1)  # noqa: RUF032 - the very mistake the check is for
    assert model_problems(Totals(net=from_float, vat=CENT, gross=CENT))[0].startswith("$.net: 0.1000000000")
    with pytest.raises(ValueError, match="not a finite amount"):
        decode_model(b'{"net":"NaN","vat":"0","gross":"0"}', Totals)


def test_unknown_fields_are_refused_when_decoding() -> None:
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"code":"A","on_hand":"1","colour":"red"}', type=StockLevel)


# -- datetimes ------------------------------------------------------------------------------------------
def _naive_is_refused(build: object) -> None:
    """``build`` is refused by the model itself, or else by the model check."""
    try:
        value = build() if callable(build) else build
    except (TypeError, ValueError, msgspec.ValidationError):
        return
    with pytest.raises(ValueError, match="has no time zone"):
        require_valid(value)


def test_naive_datetimes_are_refused_when_built() -> None:
    _naive_is_refused(lambda: Order(source_id="1", number="1", created_at=datetime(2024, 3, 1, 10, 30)))  # noqa: DTZ001
    _naive_is_refused(lambda: Fulfilment(target_id="1", settled_at=datetime(2024, 3, 1)))  # noqa: DTZ001


def test_naive_datetimes_are_refused_when_decoded() -> None:
    raw = b'{"source_id":"1","number":"1","created_at":"2024-03-01T10:30:00"}'
    with pytest.raises((ValueError, msgspec.ValidationError), match=r"time ?zone"):
        decode_model(raw, Order)


def test_aware_datetimes_keep_their_instant() -> None:
    raw = b'{"source_id":"1","number":"1","created_at":"2024-03-01T10:30:00+01:00"}'
    decoded = decode_model(raw, Order)
    assert decoded.created_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert decoded.created_at.utcoffset() == timedelta(hours=1)
    assert msgspec.json.encode(decoded.created_at) == b'"2024-03-01T10:30:00+01:00"'
    z = decode_model(b'{"target_id":"1","settled_at":"2024-03-01T09:30:00Z"}', Fulfilment)
    assert z.settled_at == decoded.created_at


# -- factories ------------------------------------------------------------------------------------------
def test_factories_are_deterministic() -> None:
    assert Factory(seed=5).orders(10) == Factory(seed=5).orders(10)
    assert Factory(seed=5).stock_levels() == Factory(seed=5).stock_levels()
    assert Factory(seed=5).orders(3) != Factory(seed=6).orders(3)


def test_factory_orders_are_consistent_and_realistic() -> None:
    factory = Factory(seed=7)
    orders = factory.orders(200)
    assert all(order_total_problems(o) == [] for o in orders)
    assert all(model_problems(o) == [] for o in orders)
    rates = {ln.vat_rate for o in orders for ln in o.lines}
    assert {Decimal(21), Decimal(12), Decimal(0)} <= rates
    kinds = {ln.kind for o in orders for ln in o.lines}
    assert {"item", "shipping", "payment", "discount"} <= kinds
    assert all(o.created_at.tzinfo is not None for o in orders)
    assert [o.created_at for o in orders] == sorted(o.created_at for o in orders)
    assert len({o.source_id for o in orders}) == 200
    companies = [o for o in orders if o.customer.company_id]
    assert companies
    assert all(ico_is_valid(o.customer.company_id) for o in companies)
    assert all(o.customer.vat_id in ("", "CZ" + o.customer.company_id) for o in companies)
    assert any(any(ch in o.customer.name for ch in "áčďéěíňóřšťúůýž") for o in orders)
    assert any(o.delivery_address is not None for o in orders)
    assert any(ln.quantity != ln.quantity.to_integral_value() for o in orders for ln in o.lines)
    codes = set(sellable_codes(factory.catalogue))
    assert all(ln.code in codes for o in orders for ln in o.lines if ln.kind == "item")


def test_factory_catalogue_and_stock() -> None:
    factory = Factory(seed=8)
    products: list[Product] = list(factory.catalogue)
    with_variants = [p for p in products if p.variants]
    assert with_variants
    assert all(v.parent_code == p.code for p in with_variants for v in p.variants)
    assert all(ean13_is_valid(v.ean) for p in with_variants for v in p.variants)
    assert all(ean13_is_valid(p.ean) for p in products if not p.variants)
    levels = factory.stock_levels(warehouses=("", "prodejna"))
    assert len(levels) == 2 * len(sellable_codes(products))
    assert all(Decimal(0) <= lvl.reserved <= lvl.on_hand for lvl in levels)
    assert len({p.code for p in factory.products(40)} | {p.code for p in products}) == 56


def test_foreign_currency_orders_are_consistent() -> None:
    eur = Factory(seed=9).order(currency="EUR", exchange_rate=Decimal("24.95"))
    assert eur.currency == "EUR"
    assert eur.exchange_rate == Decimal("24.95")
    assert order_total_problems(eur) == []
    assert isinstance(Factory(seed=9).order_write(eur), OrderWrite)
