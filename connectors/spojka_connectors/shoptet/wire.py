"""The parts of Shoptet's JSON the connector reads, as typed structs (field names as Shoptet's).

Unknown fields are ignored (Shoptet adds fields over time); money and amounts arrive as strings and
decode to ``Decimal``.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec


class Wire(msgspec.Struct, rename="camel"):
    """Base: camelCase names, unknown fields ignored."""


class Paginator(Wire):
    total_count: int = 0
    page: int = 1
    page_count: int = 0
    items_on_page: int = 0
    items_per_page: int = 0


class Change(Wire):
    code: str
    change_time: str | None = None
    change_type: str = "edit"


class ChangesPage(Wire):
    changes: list[Change]
    paginator: Paginator


class OrderRef(Wire):
    code: str
    change_time: str | None = None


class OrdersPage(Wire):
    orders: list[OrderRef]
    paginator: Paginator


class Named(Wire):
    name: str | None = None
    id: int | None = None
    guid: str | None = None


class Price(Wire):
    with_vat: Decimal | None = None
    without_vat: Decimal | None = None
    vat: Decimal | None = None
    vat_rate: Decimal = Decimal(0)


class OrderPrice(Wire):
    currency_code: str
    exchange_rate: Decimal = Decimal(1)
    vat: Decimal | None = None
    with_vat: Decimal | None = None
    without_vat: Decimal | None = None
    to_pay: Decimal | None = None


class Address(Wire):
    full_name: str | None = None
    company: str | None = None
    street: str | None = None
    house_number: str | None = None
    city: str | None = None
    zip: str | None = None
    country_code: str | None = None
    company_id: str | None = None
    vat_id: str | None = None


class Item(Wire):
    item_type: str
    name: str
    item_price: Price
    unit_price: Price
    item_id: int | None = None
    code: str | None = None
    ean: str | None = None
    amount: Decimal | None = None
    amount_unit: str | None = None
    variant_name: str | None = None


class Notes(Wire):
    customer_remark: str | None = None
    eshop_remark: str | None = None
    tracking_number: str | None = None


class OrderDetail(Wire):
    code: str
    creation_time: str | None
    change_time: str | None
    price: OrderPrice
    billing_address: Address
    items: list[Item]
    email: str | None = None
    phone: str | None = None
    status: Named | None = None
    paid: bool | None = None
    delivery_address: Address | None = None
    payment_method: Named | None = None
    shipping: Named | None = None
    notes: Notes | None = None
    language: str | None = None


class OrderEnvelope(Wire):
    order: OrderDetail


class ProductRef(Wire):
    guid: str
    change_time: str | None = None


class ProductsPage(Wire):
    products: list[ProductRef]
    paginator: Paginator


class PricelistPrice(Wire):
    buy_price: Decimal | None = None


class PerPricelist(Wire):
    pricelist_id: int
    price: PricelistPrice


class Variant(Wire):
    code: str
    ean: str | None = None
    name: str | None = None
    unit: str | None = None
    price: Decimal | None = None
    including_vat: bool = True
    vat_rate: Decimal = Decimal(0)
    currency_code: str = "CZK"
    per_pricelist_prices: list[PerPricelist] | None = None


class ProductDetail(Wire):
    guid: str
    type: str
    variants: list[Variant]
    name: str | None = None
    change_time: str | None = None


class DefaultPricelist(Wire):
    id: int


class EshopSettings(Wire):
    default_pricelist: DefaultPricelist | None = None


class TaxRate(Wire):
    zone: str = ""
    vat_rate: Decimal = Decimal(0)


class TaxClass(Wire):
    title: str = ""
    rates: list[TaxRate] = msgspec.field(default_factory=list)
    is_default: bool = False


class Eshop(Wire):
    settings: EshopSettings | None = None
    tax_classes: list[TaxClass] = msgspec.field(default_factory=list)


class OrderStatus(Wire):
    id: int
    name: str
    order: int = 0


class OrderStatuses(Wire):
    """``data`` of ``GET /api/orders/statuses``."""

    statuses: list[OrderStatus]
    default_status: int | None = None


class Method(Wire):
    """A payment or shipping method of ``GET /api/payment-methods`` or ``/api/shipping-methods``."""

    guid: str
    name: str
    visible: bool = True
    priority: int | None = None


class PaymentMethods(Wire):
    payment_methods: list[Method]


class ShippingMethods(Wire):
    shipping_methods: list[Method]


class Webhook(Wire):
    id: int
    event: str
    url: str


class WebhooksPage(Wire):
    webhooks: list[Webhook]
    paginator: Paginator | None = None


class Delivery(msgspec.Struct):
    """A webhook delivery's body."""

    event: str
    eventInstance: str  # noqa: N815 (Shoptet's field name)
    eventCreated: str | None = None  # noqa: N815
    eshopId: int | None = None  # noqa: N815
