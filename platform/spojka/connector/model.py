"""The canonical model: the one shape of orders, products, stock and fulfilments.

Every connector maps its system to and from these structs, so N e-shops and M accounting systems
need N + M mappings. Money is ``Decimal`` with an explicit currency; every line carries its VAT rate.

Rounding rule (stated once, used by :func:`order_total_problems`): a line's totals are
``unit price * quantity * (1 - discount %)`` rounded half-up to 2 decimals (the way POHODA, Shoptet
and ABRA Flexi round document rows); the document's totals are the sums of its lines' rounded totals,
and a connector's stated totals may differ from that sum by at most 0.01 per line (remote systems
round VAT per line or per rate) plus any explicit rounding line.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

CENT = Decimal("0.01")
ZERO = Decimal(0)

LineKind = Literal["item", "shipping", "payment", "discount", "rounding"]


def money(value: Decimal) -> Decimal:
    """Round half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Model(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of canonical structs: immutable, keyword-only, strict when decoded."""


class Address(Model, frozen=True, kw_only=True):
    name: str = ""
    company: str = ""
    street: str = ""
    city: str = ""
    zip: str = ""
    #: ISO 3166-1 alpha-2, e.g. "CZ".
    country: str = "CZ"
    #: IČO (company registration number).
    company_id: str = ""
    #: DIČ / VAT number, e.g. "CZ12345678".
    vat_id: str = ""
    email: str = ""
    phone: str = ""


class Customer(Model, frozen=True, kw_only=True):
    email: str = ""
    phone: str = ""
    name: str = ""
    company: str = ""
    company_id: str = ""
    vat_id: str = ""
    #: The customer's id in the e-shop, when it has accounts.
    source_id: str | None = None


class Method(Model, frozen=True, kw_only=True):
    """A payment or shipping method as the e-shop names it; links map ``code`` to accounting's value."""

    code: str
    name: str = ""


class OrderLine(Model, frozen=True, kw_only=True):
    kind: LineKind = "item"
    source_id: str | None = None
    code: str = ""
    ean: str = ""
    name: str
    quantity: Decimal
    unit: str = "ks"
    unit_price_net: Decimal
    unit_price_gross: Decimal
    #: Percent, e.g. Decimal("21").
    vat_rate: Decimal
    discount_percent: Decimal = ZERO
    total_net: Decimal | None = None
    total_gross: Decimal | None = None

    def computed_totals(self) -> tuple[Decimal, Decimal]:
        """(net, gross) by the rounding rule of this module."""
        factor = self.quantity * (1 - self.discount_percent / 100)
        return money(self.unit_price_net * factor), money(self.unit_price_gross * factor)


class Totals(Model, frozen=True, kw_only=True):
    net: Decimal
    vat: Decimal
    gross: Decimal


class Order(Model, frozen=True, kw_only=True):
    """An e-shop order as accounting needs it."""

    source_id: str
    number: str
    created_at: datetime
    changed_at: datetime | None = None
    status: str = ""
    status_name: str = ""
    paid: bool = False
    cancelled: bool = False
    currency: str = "CZK"
    #: Units of home currency per unit of ``currency`` (1 for the home currency).
    exchange_rate: Decimal = Decimal(1)
    customer: Customer = msgspec.field(default_factory=Customer)
    billing_address: Address = msgspec.field(default_factory=Address)
    delivery_address: Address | None = None
    payment: Method | None = None
    shipping: Method | None = None
    lines: tuple[OrderLine, ...] = ()
    totals: Totals | None = None
    note: str = ""
    #: Which shop or language version the order came from, when one connection serves several.
    channel: str = ""


class Variant(Model, frozen=True, kw_only=True):
    source_id: str | None = None
    code: str
    ean: str = ""
    name: str
    unit: str = "ks"
    vat_rate: Decimal
    sale_price_gross: Decimal | None = None
    sale_price_net: Decimal | None = None
    purchase_price: Decimal | None = None
    currency: str = "CZK"
    #: The parent product's code, for a variant.
    parent_code: str | None = None


class Product(Model, frozen=True, kw_only=True):
    """A catalogue product; a product without variants is its own single sellable item."""

    source_id: str | None = None
    code: str
    name: str
    ean: str = ""
    unit: str = "ks"
    vat_rate: Decimal
    sale_price_gross: Decimal | None = None
    sale_price_net: Decimal | None = None
    purchase_price: Decimal | None = None
    currency: str = "CZK"
    variants: tuple[Variant, ...] = ()


class StockLevel(Model, frozen=True, kw_only=True):
    code: str
    warehouse: str = ""
    on_hand: Decimal
    reserved: Decimal = ZERO
    #: As the accounting system states it; ``None`` lets the link's rule compute it.
    available: Decimal | None = None
    purchase_price: Decimal | None = None


class Fulfilment(Model, frozen=True, kw_only=True):
    """An order settled in accounting, to be marked done in the e-shop."""

    #: The accounting system's id of the order document.
    target_id: str
    #: The e-shop's order number as accounting kept it (fallback when there is no binding).
    order_number: str = ""
    status: Literal["fulfilled", "cancelled"] = "fulfilled"
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    settled_at: datetime | None = None
    #: For a fulfilled order: the e-shop status to give it, as a value of the e-shop's
    #: ``order_statuses`` options (the link's choice); ``None``: the e-shop connection's own.
    eshop_status: str | None = None


def order_total_problems(order: Order) -> list[str]:
    """Disagreements between the lines and the stated totals, in words; empty when they agree."""
    problems: list[str] = []
    net_sum = gross_sum = ZERO
    for index, line in enumerate(order.lines, start=1):
        net, gross = line.computed_totals()
        if line.total_net is not None and abs(line.total_net - net) > CENT:
            problems.append(f"line {index} ({line.code or line.name}): net total {line.total_net} != {net}")
        if line.total_gross is not None and abs(line.total_gross - gross) > CENT:
            problems.append(
                f"line {index} ({line.code or line.name}): gross total {line.total_gross} != {gross}"
            )
        net_sum += line.total_net if line.total_net is not None else net
        gross_sum += line.total_gross if line.total_gross is not None else gross
    if order.totals is not None:
        tolerance = CENT * max(1, len(order.lines))
        if abs(order.totals.gross - gross_sum) > tolerance:
            problems.append(f"order gross total {order.totals.gross} != sum of lines {gross_sum}")
        if abs(order.totals.net - net_sum) > tolerance:
            problems.append(f"order net total {order.totals.net} != sum of lines {net_sum}")
        if abs(order.totals.net + order.totals.vat - order.totals.gross) > CENT:
            problems.append("order totals: net + VAT != gross")
    return problems
