"""The flows' settings on a link: what moves, when, and how values map between the two systems.

Defaults follow DESIGN.md: orders every 15 minutes and on webhooks, stock hourly and after orders,
products nightly, fulfilment every 15 minutes.
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from spojka.http.schemas import Input

Minutes = Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 60)]
Mapping = dict[Annotated[str, msgspec.Meta(max_length=200)], Annotated[str, msgspec.Meta(max_length=200)]]
Code = Annotated[str, msgspec.Meta(max_length=100)]


class OrdersFlow(Input):
    enabled: bool = True
    every_minutes: Minutes = 15
    webhooks: bool = True
    #: Only orders in these e-shop statuses are transferred (empty: all).
    statuses: list[Code] = msgspec.field(default_factory=list)
    status_map: Mapping = msgspec.field(default_factory=dict)
    payment_map: Mapping = msgspec.field(default_factory=dict)
    shipping_map: Mapping = msgspec.field(default_factory=dict)
    vat_map: Mapping = msgspec.field(default_factory=dict)
    number_series: Code | None = None
    warehouse: Code | None = None
    invoice: Literal["never", "on_create", "on_paid", "on_statuses"] = "never"
    invoice_statuses: list[Code] = msgspec.field(default_factory=list)
    reserve_stock: bool = False
    #: What to do when an order changes after transfer and accounting cannot update it.
    on_change: Literal["flag", "recreate"] = "flag"


class StockFlow(Input):
    enabled: bool = True
    every_minutes: Minutes = 60
    after_orders: bool = True
    rule: Literal["available", "on_hand"] = "available"
    warehouses: list[Code] = msgspec.field(default_factory=list)
    combine: Literal["single", "sum", "max"] = "single"
    purchase_prices: bool = True


class ProductsFlow(Input):
    enabled: bool = True
    #: Hour of the nightly run, in ``time_zone``.
    nightly_at_hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 2
    #: IANA time zone of the merchant (the nightly run follows its daylight saving time).
    time_zone: Annotated[str, msgspec.Meta(max_length=64, examples=["Europe/Prague"])] = "Europe/Prague"
    store: Code | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {self.time_zone!r} (use an IANA name such as 'Europe/Prague')"
            raise ValueError(msg) from exc


class FulfilmentFlow(Input):
    enabled: bool = True
    every_minutes: Minutes = 15
    #: Not used: the accounting connection says where its tracking numbers are (POHODA's
    #: ``trackingParameter``). Kept so that links and clients that send it stay valid.
    tracking_field: Code | None = None
    #: The e-shop status a fulfilled order gets, a value of the e-shop connection's
    #: ``orderStatuses`` options; empty: the e-shop connection's own fulfilled status.
    fulfilled_status: Code | None = None


class Flows(Input):
    orders: OrdersFlow = msgspec.field(default_factory=OrdersFlow)
    stock: StockFlow = msgspec.field(default_factory=StockFlow)
    products: ProductsFlow = msgspec.field(default_factory=ProductsFlow)
    fulfilment: FulfilmentFlow = msgspec.field(default_factory=FulfilmentFlow)


def flows_from_document(document: dict[str, object]) -> Flows:
    """Stored JSON back to typed settings (defaults fill fields added since it was stored)."""
    return msgspec.convert(document, Flows)


def flows_to_document(flows: Flows) -> dict[str, object]:
    document: dict[str, object] = msgspec.to_builtins(flows)
    return document
