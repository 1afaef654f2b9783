"""Shoptet's orders and products in the canonical model.

Shoptet keeps shipping and payment as order items (``itemType`` ``shipping`` and ``billing``); they
become lines of kind ``shipping`` and ``payment``. ``itemPrice`` is the line's total as Shoptet
computed it and wins over ``unitPrice * amount``: when the rounded unit price times the amount misses
that total by more than a cent, the unit price is taken from the total, to more decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from spojka.connector.model import (
    CENT,
    Address,
    Customer,
    LineKind,
    Method,
    Order,
    OrderLine,
    Product,
    Totals,
    Variant,
    money,
)
from spojka_connectors.shoptet import wire
from spojka_connectors.shoptet.dates import parse_shoptet
from spojka_connectors.shoptet.spec import ShoptetSettings

LINE_KINDS: Final[dict[str, LineKind]] = {
    "shipping": "shipping",
    "billing": "payment",
    "discount-coupon": "discount",
    "volume-discount": "discount",
}
_UNIT_PLACES: Final = Decimal("0.000001")
ZERO: Final = Decimal(0)


def _text(value: str | None) -> str:
    return value or ""


def _address(source: wire.Address | None, email: str = "", phone: str = "") -> Address | None:
    if source is None:
        return None
    street = " ".join(p for p in (source.street, source.house_number) if p)
    return Address(
        name=_text(source.full_name),
        company=_text(source.company),
        street=street,
        city=_text(source.city),
        zip=_text(source.zip),
        country=source.country_code or "CZ",
        company_id=_text(source.company_id),
        vat_id=_text(source.vat_id),
        email=email,
        phone=phone,
    )


def _unit_price(unit: Decimal | None, total: Decimal, quantity: Decimal) -> Decimal:
    """The unit price that reproduces ``total`` by the canonical rounding rule."""
    if quantity == 0:
        return unit if unit is not None else ZERO
    if unit is not None and abs(money(unit * quantity) - total) <= CENT:
        return unit
    return (total / quantity).quantize(_UNIT_PLACES)


def _line(item: wire.Item) -> OrderLine:
    quantity = item.amount if item.amount is not None else Decimal(1)
    total_gross = item.item_price.with_vat if item.item_price.with_vat is not None else ZERO
    total_net = item.item_price.without_vat if item.item_price.without_vat is not None else total_gross
    name = item.name if not item.variant_name else f"{item.name} {item.variant_name}"
    return OrderLine(
        kind=LINE_KINDS.get(item.item_type, "item"),
        source_id=str(item.item_id) if item.item_id is not None else None,
        code=_text(item.code),
        ean=_text(item.ean),
        name=name,
        quantity=quantity,
        unit=item.amount_unit or "ks",
        unit_price_net=_unit_price(item.unit_price.without_vat, total_net, quantity),
        unit_price_gross=_unit_price(item.unit_price.with_vat, total_gross, quantity),
        vat_rate=item.item_price.vat_rate,
        total_net=total_net,
        total_gross=total_gross,
    )


def _method(source: wire.Named | None) -> Method | None:
    if source is None:
        return None
    return Method(code=source.guid or _text(source.name), name=_text(source.name))


def order_from_shoptet(detail: wire.OrderDetail, settings: ShoptetSettings) -> Order:
    """The canonical order of a ``GET /api/orders/{code}`` answer."""
    status_id = detail.status.id if detail.status is not None else None
    status = "" if status_id is None else settings.status_mapping.get(str(status_id), str(status_id))
    billing = _address(detail.billing_address, _text(detail.email), _text(detail.phone))
    assert billing is not None
    price = detail.price
    totals = None
    if price.with_vat is not None and price.without_vat is not None:
        totals = Totals(
            net=price.without_vat,
            vat=price.vat if price.vat is not None else price.with_vat - price.without_vat,
            gross=price.with_vat,
        )
    created = parse_shoptet(detail.creation_time) if detail.creation_time else None
    changed = parse_shoptet(detail.change_time) if detail.change_time else created
    if created is None:
        created = changed
    if created is None:
        msg = f"Shoptet gave order {detail.code} without a creation time"
        raise ValueError(msg)
    return Order(
        source_id=detail.code,
        number=detail.code,
        created_at=created,
        changed_at=changed,
        status=status,
        status_name=_text(detail.status.name if detail.status else None),
        paid=bool(detail.paid),
        cancelled=status_id == settings.cancelled_status_id,
        currency=price.currency_code.upper(),
        exchange_rate=price.exchange_rate,
        customer=Customer(
            email=billing.email,
            phone=billing.phone,
            name=billing.name,
            company=billing.company,
            company_id=billing.company_id,
            vat_id=billing.vat_id,
        ),
        billing_address=billing,
        delivery_address=_address(detail.delivery_address),
        payment=_method(detail.payment_method),
        shipping=_method(detail.shipping),
        lines=tuple(_line(i) for i in detail.items),
        totals=totals,
        note=_text(detail.notes.customer_remark if detail.notes else None),
        channel=_text(detail.language),
    )


def _prices(variant: wire.Variant) -> tuple[Decimal | None, Decimal | None]:
    """(gross, net) sale price; Shoptet states one and says which by ``includingVat``."""
    if variant.price is None:
        return None, None
    factor = 1 + variant.vat_rate / 100
    if variant.including_vat:
        return variant.price, money(variant.price / factor)
    return money(variant.price * factor), variant.price


def _buy_price(variant: wire.Variant, pricelist_id: int | None) -> Decimal | None:
    for entry in variant.per_pricelist_prices or ():
        if pricelist_id is None or entry.pricelist_id == pricelist_id:
            return entry.price.buy_price
    return None


def product_from_shoptet(detail: wire.ProductDetail, default_pricelist: int | None) -> Product:
    """The canonical product of a ``GET /api/products/{guid}`` answer.

    A product without variants has one variant in Shoptet, whose code is the product's. A product
    with variants has no code of its own: its GUID stands in, and each variant names it as parent.
    """
    name = _text(detail.name)
    if len(detail.variants) == 1:
        only = detail.variants[0]
        gross, net = _prices(only)
        return Product(
            source_id=detail.guid,
            code=only.code,
            name=name,
            ean=_text(only.ean),
            unit=only.unit or "ks",
            vat_rate=only.vat_rate,
            sale_price_gross=gross,
            sale_price_net=net,
            purchase_price=_buy_price(only, default_pricelist),
            currency=only.currency_code,
        )
    variants = []
    for variant in detail.variants:
        gross, net = _prices(variant)
        variants.append(
            Variant(
                source_id=variant.code,
                code=variant.code,
                ean=_text(variant.ean),
                name=f"{name} {variant.name}" if variant.name else name,
                unit=variant.unit or "ks",
                vat_rate=variant.vat_rate,
                sale_price_gross=gross,
                sale_price_net=net,
                purchase_price=_buy_price(variant, default_pricelist),
                currency=variant.currency_code,
                parent_code=detail.guid,
            )
        )
    first = detail.variants[0] if detail.variants else None
    return Product(
        source_id=detail.guid,
        code=detail.guid,
        name=name,
        vat_rate=first.vat_rate if first is not None else ZERO,
        currency=first.currency_code if first is not None else "CZK",
        variants=tuple(variants),
    )
