"""Capability protocols: what the engine may ask of a connected system.

A connector declares capability names in its spec (``orders.read``, ``stock.write``, ...) and its
session object implements the matching methods below. The engine checks the spec, never the class,
so a plugin offers exactly what it says. Every method is async and works on the canonical model.

Reads are incremental: the engine hands back the opaque ``cursor`` of the last page it stored and
an ``until`` time (when the run started); a connector never returns a cursor past ``until``, so a
change made during the run is read again next time rather than skipped. Writes are batched where
the remote has bulk calls and answer one :class:`WriteResult` per record, so one bad record never
fails its neighbours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

import msgspec

from spojka.connector.model import Fulfilment, Model, Order, Product, StockLevel

# -- capability names -------------------------------------------------------------------------
ORDERS_READ = "orders.read"
ORDERS_WEBHOOK = "orders.webhook"
ORDERS_FULFIL = "orders.fulfil"
PRODUCTS_READ = "products.read"
STOCK_WRITE = "stock.write"
PRICES_WRITE = "prices.write"
ORDERS_WRITE = "orders.write"
ORDERS_UPDATE = "orders.update"
ORDERS_DELETE = "orders.delete"
INVOICES_WRITE = "invoices.write"
STOCK_RESERVE = "stock.reserve"
PRODUCTS_WRITE = "products.write"
STOCK_READ = "stock.read"
FULFILMENT_READ = "fulfilment.read"
#: Either kind: the remote's choices for the link's mappings (statuses, payment methods, ...).
OPTIONS_READ = "options.read"

ESHOP_CAPABILITIES = frozenset(
    {ORDERS_READ, ORDERS_WEBHOOK, ORDERS_FULFIL, PRODUCTS_READ, STOCK_WRITE, PRICES_WRITE, OPTIONS_READ}
)
ACCOUNTING_CAPABILITIES = frozenset(
    {
        ORDERS_WRITE,
        ORDERS_UPDATE,
        ORDERS_DELETE,
        INVOICES_WRITE,
        STOCK_RESERVE,
        PRODUCTS_WRITE,
        STOCK_READ,
        FULFILMENT_READ,
        OPTIONS_READ,
    }
)


# -- pages and results --------------------------------------------------------------------------
class OrderPage(Model, frozen=True, kw_only=True):
    orders: tuple[Order, ...]
    #: Where to continue; stored by the engine only after this page's records are bound.
    cursor: str | None


class ProductPage(Model, frozen=True, kw_only=True):
    products: tuple[Product, ...]
    cursor: str | None


class StockPage(Model, frozen=True, kw_only=True):
    levels: tuple[StockLevel, ...]
    cursor: str | None


class FulfilmentPage(Model, frozen=True, kw_only=True):
    fulfilments: tuple[Fulfilment, ...]
    cursor: str | None


class OrderOptions(Model, frozen=True, kw_only=True):
    """The link's settings for one order, already mapped to the accounting system's values."""

    status: str | None = None
    payment_type: str | None = None
    carrier: str | None = None
    warehouse: str | None = None
    number_series: str | None = None
    reserve_stock: bool = False
    #: VAT rate (percent, as text) → the accounting system's rate code, e.g. "21" → "high".
    vat_rates: Mapping[str, str] = msgspec.field(default_factory=dict)


class OrderWrite(Model, frozen=True, kw_only=True):
    """An order to create, with the external id that makes the write idempotent."""

    ext_id: str
    order: Order
    options: OrderOptions = msgspec.field(default_factory=OrderOptions)


class WriteResult(Model, frozen=True, kw_only=True):
    """The fate of one record in a write."""

    #: The record's key in the request (ext id, product code, order id).
    key: str
    #: ``missing``: the other side has no such record (a code this shop does not sell, when several
    #: shops share one warehouse) - not an error, and not written again until its value changes.
    outcome: Literal["created", "updated", "unchanged", "missing", "failed"]
    target_id: str | None = None
    message: str = ""
    #: For failures: would the same write succeed later (remote busy) rather than never?
    retriable: bool = False


class WebhookEvent(Model, frozen=True, kw_only=True):
    """One change the e-shop told us about."""

    event: str
    #: The e-shop's id of the order (or other object) that changed.
    object_id: str
    #: Drops repeats: the same event, instance and time arrive twice at most once.
    dedup_key: str
    occurred_at: datetime | None = None


class Option(Model, frozen=True, kw_only=True):
    """One choice of the remote system: what the link's settings store, and what the merchant sees."""

    #: Exactly the value the connector reports or accepts in the canonical model (an order's
    #: ``status``, ``payment.code``, ``shipping.code``; ``OrderOptions.payment_type``, ...).
    value: str
    label: str


class RemoteOptions(Model, frozen=True, kw_only=True):
    """The remote's choices for a link's mappings; a connector fills the lists it knows.

    For an e-shop: its order statuses, payment and shipping methods and VAT rates (the keys of the
    link's maps, and the statuses it filters on). For an accounting system: what those map to
    (its statuses, payment types, carriers, VAT rate codes) and its number series and warehouses.
    """

    order_statuses: tuple[Option, ...] = ()
    payment_methods: tuple[Option, ...] = ()
    shipping_methods: tuple[Option, ...] = ()
    vat_rates: tuple[Option, ...] = ()
    number_series: tuple[Option, ...] = ()
    warehouses: tuple[Option, ...] = ()


# -- either side ---------------------------------------------------------------------------------
@runtime_checkable
class ReadsOptions(Protocol):
    """``options.read``: a few small reads, made when the merchant edits a link (not during runs)."""

    async def read_options(self) -> RemoteOptions: ...


# -- e-shop side ---------------------------------------------------------------------------------
@runtime_checkable
class ReadsOrders(Protocol):
    """``orders.read``"""

    def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]: ...

    async def get_order(self, source_id: str) -> Order | None: ...


@runtime_checkable
class ReceivesWebhooks(Protocol):
    """``orders.webhook``"""

    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """The events in a delivery; raises :class:`~spojka.connector.errors.AuthExpiredError`
        (answered 401) when the signature does not verify."""
        ...

    async def register_webhooks(self, url: str) -> None: ...


@runtime_checkable
class WritesStock(Protocol):
    """``stock.write``: the available quantity per code."""

    async def write_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]: ...


@runtime_checkable
class WritesPrices(Protocol):
    """``prices.write``: purchase prices per code."""

    async def write_purchase_prices(self, levels: Sequence[StockLevel]) -> list[WriteResult]: ...


@runtime_checkable
class ReadsProducts(Protocol):
    """``products.read``"""

    def read_products(self, cursor: str | None, *, until: datetime) -> AsyncIterator[ProductPage]: ...


@runtime_checkable
class FulfilsOrders(Protocol):
    """``orders.fulfil``: mark an order done, with carrier and tracking number."""

    async def fulfil_order(self, source_id: str, fulfilment: Fulfilment) -> WriteResult: ...


# -- accounting side -------------------------------------------------------------------------
@runtime_checkable
class WritesOrders(Protocol):
    """``orders.write``"""

    async def find_orders(self, ext_ids: Sequence[str]) -> dict[str, str]:
        """ext id → the accounting system's id, for those that already exist (one batched lookup)."""
        ...

    async def create_orders(self, writes: Sequence[OrderWrite]) -> list[WriteResult]: ...


@runtime_checkable
class UpdatesOrders(Protocol):
    """``orders.update``: change an existing order in place."""

    async def update_order(self, target_id: str, write: OrderWrite) -> WriteResult: ...


@runtime_checkable
class DeletesOrders(Protocol):
    """``orders.delete``: remove an order nobody has touched yet (for cancel-and-recreate)."""

    async def delete_order(self, target_id: str) -> WriteResult: ...


@runtime_checkable
class WritesInvoices(Protocol):
    """``invoices.write``: an issued invoice made from an order already in accounting."""

    async def create_invoice(self, order_target_id: str, write: OrderWrite) -> WriteResult: ...


@runtime_checkable
class ReadsStock(Protocol):
    """``stock.read``: ``cursor=None`` reads everything, a cursor reads what changed since."""

    def read_stock(self, cursor: str | None, *, until: datetime) -> AsyncIterator[StockPage]: ...


@runtime_checkable
class WritesProducts(Protocol):
    """``products.write``: create or update stock cards."""

    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]: ...


@runtime_checkable
class ReadsFulfilments(Protocol):
    """``fulfilment.read``: orders settled since the cursor."""

    def read_fulfilments(self, cursor: str | None, *, until: datetime) -> AsyncIterator[FulfilmentPage]: ...
