"""A session on one Shoptet e-shop: the capabilities the engine calls, on the canonical model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

import msgspec

from spojka.connector import ConnectionContext, FatalError
from spojka.connector.capabilities import OrderPage, ProductPage, RemoteOptions, WebhookEvent, WriteResult
from spojka.connector.model import Fulfilment, Order, StockLevel
from spojka_connectors.shoptet import options, reads, stock, webhooks, wire
from spojka_connectors.shoptet.client import ShoptetClient
from spojka_connectors.shoptet.fulfil import fulfil
from spojka_connectors.shoptet.mapping import order_from_shoptet, product_from_shoptet
from spojka_connectors.shoptet.reads import Cursor
from spojka_connectors.shoptet.spec import ShoptetSettings


class ShoptetSession:
    """``orders.read``, ``orders.webhook``, ``orders.fulfil``, ``products.read``, ``stock.write``,
    ``prices.write``, ``options.read`` over one :class:`ShoptetClient`."""

    def __init__(self, api: ShoptetClient, settings: ShoptetSettings, context: ConnectionContext) -> None:
        self.api = api
        self.settings = settings
        self.context = context
        self._default_pricelist: int | None = None

    # -- orders ---------------------------------------------------------------------------------
    async def read_orders(self, cursor: str | None, *, until: datetime) -> AsyncIterator[OrderPage]:
        """Orders changed after ``cursor`` and by ``until``, a page of details at a time."""
        since = Cursor.decode("orders", cursor)
        positions = await reads.changed_orders(self.api, since, until)
        for chunk, after in reads.pages(positions, since, self.settings.page_size):
            details = await asyncio.gather(*(self._order_detail(p.key) for p in chunk))
            wanted = self.settings.statuses_to_transfer
            orders = tuple(
                order_from_shoptet(d, self.settings)
                for d in details
                if d is not None and (not wanted or (d.status is not None and d.status.id in wanted))
            )
            yield OrderPage(orders=orders, cursor=after.encode("orders"))

    async def get_order(self, source_id: str) -> Order | None:
        """The order with code ``source_id``, or ``None`` if the e-shop has none."""
        detail = await self._order_detail(source_id)
        return order_from_shoptet(detail, self.settings) if detail is not None else None

    async def _order_detail(self, code: str) -> wire.OrderDetail | None:
        response = await self.api.call(
            "GET", f"/api/orders/{quote(code, safe='')}", params={"include": "notes"}, ok=(200, 404)
        )
        if response.status == 404:
            return None
        try:
            return msgspec.convert(response.data, wire.OrderEnvelope).order
        except msgspec.ValidationError as exc:
            raise FatalError(f"Shoptet answered order {code} in an unexpected shape: {exc}") from None

    # -- webhooks -------------------------------------------------------------------------------
    async def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """The events of a genuinely signed delivery; raises AuthExpiredError otherwise."""
        return await webhooks.verify(self.context.state, headers, body)

    async def register_webhooks(self, url: str) -> None:
        """Have the order events posted to ``url``."""
        await webhooks.register(self.api, self.context.state, url)

    async def rotate_webhook_key(self) -> None:
        """Ask Shoptet for a new signature key (the previous one stays accepted)."""
        await webhooks.rotate_key(self.api, self.context.state)

    # -- fulfilment -----------------------------------------------------------------------------
    async def fulfil_order(self, source_id: str, fulfilment: Fulfilment) -> WriteResult:
        """Mark the order done with its tracking number."""
        return await fulfil(self.api, self.settings, source_id, fulfilment)

    # -- products -------------------------------------------------------------------------------
    async def read_products(self, cursor: str | None, *, until: datetime) -> AsyncIterator[ProductPage]:
        """Products (with variants and purchase prices) changed after ``cursor`` and by ``until``."""
        since = Cursor.decode("products", cursor)
        positions = await reads.changed_products(self.api, since, until)
        pricelist = await self._pricelist() if positions else None
        for chunk, after in reads.pages(positions, since, self.settings.page_size):
            details = await asyncio.gather(*(self._product_detail(p.key) for p in chunk))
            products = tuple(product_from_shoptet(d, pricelist) for d in details if d is not None)
            yield ProductPage(products=products, cursor=after.encode("products"))

    async def _product_detail(self, guid: str) -> wire.ProductDetail | None:
        response = await self.api.call(
            "GET", f"/api/products/{guid}", params={"include": "perPricelistPrices"}, ok=(200, 404)
        )
        if response.status == 404:
            return None
        return msgspec.convert(response.data, wire.ProductDetail)

    # -- stock and prices ----------------------------------------------------------------------
    async def write_stock(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Stock levels of the link's warehouse, 300 a request."""
        path = f"/api/stocks/{self.settings.stock_id}/movements"
        row = stock.stock_row(self.settings.stock_field)
        return await stock.write_rows(self.api, path, levels, row, "")

    async def write_purchase_prices(self, levels: Sequence[StockLevel]) -> list[WriteResult]:
        """Purchase prices (``buyPrice``) on the default price list, 300 a request."""
        path = f"/api/pricelists/{await self._pricelist()}"
        return await stock.write_rows(self.api, path, levels, stock.price_row, "no purchase price given")

    # -- options --------------------------------------------------------------------------------
    async def read_options(self) -> RemoteOptions:
        """Order statuses, payment and shipping methods and VAT rates, valued as orders carry them."""
        return await options.read_options(self.api, self.settings)

    async def _pricelist(self) -> int:
        if self._default_pricelist is None:
            response = await self.api.call("GET", "/api/eshop")
            eshop = msgspec.convert(response.data, wire.Eshop)
            if eshop.settings is None or eshop.settings.default_pricelist is None:
                raise FatalError("The e-shop names no default price list; purchase prices cannot be written.")
            self._default_pricelist = eshop.settings.default_pricelist.id
        return self._default_pricelist
