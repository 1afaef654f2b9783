"""A session on one POHODA company: every capability the spec declares, over data packs.

Requests go one at a time (the mServer serializes them anyway); writes are batched into data packs
of ``batchSize`` documents. Orders and invoices are :mod:`.order_writes`; stock cards, stock
levels and fulfilments are here; the link editor's lists are :mod:`.options`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Literal

from lxml import etree

from spojka.connector.capabilities import FulfilmentPage, RemoteOptions, StockPage, WriteResult
from spojka.connector.errors import RecordError
from spojka.connector.model import Fulfilment, Product, StockLevel
from spojka_connectors.pohoda import documents, lists, options, reads
from spojka_connectors.pohoda.base import failed
from spojka_connectors.pohoda.order_writes import OrderWrites
from spojka_connectors.pohoda.pack import PackItem, short_id
from spojka_connectors.pohoda.reads import Fetched
from spojka_connectors.pohoda.replies import ItemReply, item_message
from spojka_connectors.pohoda.xmlns import NS, text_of


class PohodaSession(OrderWrites):
    """The capabilities of :data:`~spojka_connectors.pohoda.spec.SPEC` on one mServer connection."""

    # -- products.write ------------------------------------------------------------------------
    async def upsert_products(self, products: Sequence[Product]) -> list[WriteResult]:
        """Stock cards in the store (one per variant), one result per product."""
        items: list[tuple[str, PackItem]] = []
        failures: dict[str, str] = {}
        for product in products:
            for sellable in documents.sellable_items(product):
                try:
                    document = documents.stock_document(sellable, self.cfg)
                except RecordError as exc:
                    failures.setdefault(product.code, f"Stock card {sellable.code}: {exc.message}")
                    continue
                items.append((product.code, PackItem(short_id("stk", sellable.code), document)))
        outcomes: dict[str, list[str]] = {}
        for start in range(0, len(items), self.cfg.batch_size):
            batch = items[start : start + self.cfg.batch_size]
            replies = await self._send(
                "stock", "Zásoby z e-shopu", [item for _, item in batch], read_only=False
            )
            for code, item in batch:
                reply = replies[item.id]
                if reply.duplicate_of is not None:
                    # The very same card data was imported before: nothing to change.
                    outcomes.setdefault(code, []).append("unchanged")
                    continue
                if not reply.ok:
                    failures.setdefault(code, item_message(f"stock card {item.id[4:]}", reply))
                    continue
                action = _action(reply)
                outcomes.setdefault(code, []).append(action)
        results = []
        for product in products:
            if product.code in failures:
                results.append(failed(product.code, failures[product.code]))
                continue
            actions = outcomes.get(product.code, [])
            outcome: Literal["created", "updated", "unchanged"] = (
                "created" if "add" in actions else "unchanged" if set(actions) == {"unchanged"} else "updated"
            )
            results.append(WriteResult(key=product.code, outcome=outcome, target_id=product.code))
        return results

    # -- options.read ------------------------------------------------------------------------
    async def read_options(self) -> RemoteOptions:
        """Stores, number series of received orders and forms of payment: one pack, three lists."""
        replies = await self._send("options", "Číselníky pro Spojku", options.requests(), read_only=True)
        return options.remote_options(replies)

    # -- stock.read and fulfilment.read -------------------------------------------------------
    async def _fetch_stock(self, since: datetime | None, id_from: int, count: int) -> Fetched[StockLevel]:
        request = PackItem("stock", lists.stock_request(self.cfg, since=since, id_from=id_from, count=count))
        listing = (await self._list("list-stock", [request]))[request.id].body
        if listing is None or not len(listing):
            return Fetched(count=0, last_id=0, decode=list)
        return Fetched(
            count=len(listing),
            last_id=int(text_of(listing[-1], "stk:stockHeader/stk:id")),
            decode=lambda: [(card.id, card.level) for card in lists.read_cards(listing)],
        )

    def read_stock(self, cursor: str | None, *, until: datetime) -> AsyncIterator[StockPage]:
        """Levels and purchase prices of the store's cards (changed since the cursor's time)."""
        return self._stock_pages(cursor, until)

    async def _stock_pages(self, cursor: str | None, until: datetime) -> AsyncIterator[StockPage]:
        async for levels, following in reads.changes(
            "stock", cursor, until, self._fetch_stock, self.cfg.page_size
        ):
            yield StockPage(levels=tuple(levels), cursor=following)

    async def _fetch_orders(
        self, since: datetime | None, id_from: int, count: int
    ) -> Fetched[lists.ListedOrder]:
        request = PackItem(
            "orders", lists.orders_request(self.cfg, since=since, id_from=id_from, count=count)
        )
        listing = (await self._list("list-orders", [request]))[request.id].body
        if listing is None or not len(listing):
            return Fetched(count=0, last_id=0, decode=list)
        return Fetched(
            count=len(listing),
            last_id=int(text_of(listing[-1], "ord:orderHeader/ord:id")),
            decode=lambda: [(order.id, order) for order in lists.read_orders(listing)],
        )

    def read_fulfilments(self, cursor: str | None, *, until: datetime) -> AsyncIterator[FulfilmentPage]:
        """Received orders marked settled (Vyřízeno), with the tracking number from the link's field."""
        return self._fulfilment_pages(cursor, until)

    async def _fulfilment_pages(self, cursor: str | None, until: datetime) -> AsyncIterator[FulfilmentPage]:
        pages = reads.changes("fulfilments", cursor, until, self._fetch_orders, self.cfg.page_size)
        async for orders, following in pages:
            fulfilments = tuple(
                Fulfilment(
                    target_id=str(order.id),
                    order_number=order.number_order,
                    carrier=order.carrier,
                    tracking_number=order.parameters.get(self.cfg.tracking_parameter, ""),
                )
                for order in orders
                if order.is_executed
            )
            yield FulfilmentPage(fulfilments=fulfilments, cursor=following)


def _action(reply: ItemReply) -> str:
    body = reply.body
    if body is None:
        return "update"
    found = body.find("rdc:producedDetails/rdc:actionType", NS)
    return (found.text or "update") if isinstance(found, etree._Element) else "update"
