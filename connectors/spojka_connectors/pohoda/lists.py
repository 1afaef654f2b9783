"""List requests (``listStockRequest``, ``listOrderRequest``, ``listInvoiceRequest``) and their replies.

Paging is by record id: ``limit/idFrom`` (the smallest id wanted) and ``limit/count``; POHODA
answers in ascending id order, so the next page starts at the last id + 1. ``lastChanges`` asks
for records changed at or after a time, which POHODA keeps in local time without an offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lxml import etree

from spojka.connector.model import StockLevel
from spojka_connectors.pohoda.spec import PohodaSettings
from spojka_connectors.pohoda.xmlns import NS, fmt_datetime, q, sub, text_of

#: Parts of a stock card the connector does not need (pictures, attachments, related cards...).
_STOCK_RESTRICTIONS = (
    "relatedFiles",
    "relatedLinks",
    "pictures",
    "categories",
    "relatedStocks",
    "alternativeStocks",
    "intParameters",
    "stockItem",
    "stockAttach",
    "stockSerialNumber",
    "stockPriceItem",
)


def _limit(parent: etree._Element, name: str, id_from: int | None, count: int | None) -> None:
    if id_from is None and count is None:
        return
    limit = sub(parent, name)
    if id_from is not None:
        sub(limit, "ftr:idFrom", str(id_from))
    if count is not None:
        sub(limit, "ftr:count", str(count))


# -- stock --------------------------------------------------------------------------------------------
def stock_request(
    cfg: PohodaSettings, *, since: datetime | None, id_from: int | None = None, count: int | None = None
) -> etree._Element:
    """The store's stock cards, changed since ``since`` when given, one page."""
    root = etree.Element(q("lStk:listStockRequest"), version="2.0", stockVersion="2.0")
    _limit(root, "lStk:limit", id_from, count)
    filter_el = sub(sub(root, "lStk:requestStock"), "ftr:filter")
    sub(sub(filter_el, "ftr:store"), "typ:ids", cfg.store)
    if since is not None:
        sub(filter_el, "ftr:lastChanges", fmt_datetime(since))
    restrictions = sub(root, "lStk:restrictionData")
    for name in _STOCK_RESTRICTIONS:
        sub(restrictions, f"lStk:{name}", "false")
    return root


@dataclass(frozen=True, slots=True)
class Card:
    """A stock card as listed: its id and its level."""

    id: int
    level: StockLevel


_STOCK_HEADER = q("stk:stockHeader")
_STORAGE = q("stk:storage")
_IDS = q("typ:ids")
_FIELDS = {
    q(f"stk:{name}"): name
    for name in ("id", "code", "count", "reservation", "weightedPurchasePrice", "purchasingPrice")
}


def read_cards(listing: etree._Element) -> list[Card]:
    """The cards of a ``lStk:listStock`` reply.

    One pass over each header's children instead of a path lookup per field: a full read of a
    large store parses a hundred thousand cards, and this is most of the connector's own work.
    """
    cards = []
    for stock in listing:
        header = stock.find(_STOCK_HEADER)
        if header is None:
            continue
        values: dict[str, str] = {}
        store = ""
        for child in header:
            name = _FIELDS.get(str(child.tag))
            if name is not None:
                values[name] = (child.text or "").strip()
            elif child.tag == _STORAGE:
                store = (child.findtext(_IDS) or "").split("/")[0]
        purchase = values.get("weightedPurchasePrice") or values.get("purchasingPrice")
        level = StockLevel(
            code=values.get("code", ""),
            warehouse=store,
            on_hand=Decimal(values.get("count") or 0),
            reserved=Decimal(values.get("reservation") or 0),
            purchase_price=Decimal(purchase) if purchase else None,
        )
        cards.append(Card(id=int(values["id"]), level=level))
    return cards


# -- received orders -----------------------------------------------------------------------------------------
def orders_request(
    cfg: PohodaSettings,
    *,
    ext_id: str | None = None,
    order_id: str | None = None,
    since: datetime | None = None,
    id_from: int | None = None,
    count: int | None = None,
) -> etree._Element:
    """Received orders by extId, by id, or changed since a time (one page), with our extIds."""
    root = etree.Element(
        q("lst:listOrderRequest"),
        version="2.0",
        orderVersion="2.0",
        orderType="receivedOrder",
        extSystem=cfg.ext_system,
    )
    _limit(root, "lst:limit", id_from, count)
    filter_el = sub(sub(root, "lst:requestOrder"), "ftr:filter")
    if order_id is not None:
        sub(filter_el, "ftr:id", order_id)
    if ext_id is not None:
        ext = sub(filter_el, "ftr:extId")
        sub(ext, "typ:ids", ext_id)
        sub(ext, "typ:exSystemName", cfg.ext_system)
    if since is not None:
        sub(filter_el, "ftr:lastChanges", fmt_datetime(since))
    return root


@dataclass(frozen=True, slots=True)
class ListedOrder:
    """A received order as listed: what lookups, deletes and fulfilments need."""

    id: int
    number: str
    number_order: str
    ext_id: str
    is_executed: bool
    carrier: str
    parameters: dict[str, str]


def read_orders(listing: etree._Element) -> list[ListedOrder]:
    """The orders of a ``lst:listOrder`` reply."""
    orders = []
    for header in listing.iterfind("lst:order/ord:orderHeader", NS):
        parameters = {
            text_of(p, "typ:name"): text_of(p, "typ:textValue") or text_of(p, "typ:memoValue")
            for p in header.iterfind("ord:parameters/typ:parameter", NS)
        }
        orders.append(
            ListedOrder(
                id=int(text_of(header, "ord:id")),
                number=text_of(header, "ord:number/typ:numberRequested"),
                number_order=text_of(header, "ord:numberOrder"),
                ext_id=text_of(header, "ord:extId/typ:ids"),
                is_executed=text_of(header, "ord:isExecuted") == "true",
                carrier=text_of(header, "ord:carrier/typ:ids"),
                parameters=parameters,
            )
        )
    return orders


# -- issued invoices -----------------------------------------------------------------------------------------
def invoices_request(cfg: PohodaSettings, *, ext_id: str) -> etree._Element:
    """Issued invoices with our extId ``ext_id``."""
    root = etree.Element(
        q("lst:listInvoiceRequest"),
        version="2.0",
        invoiceVersion="2.0",
        invoiceType="issuedInvoice",
        extSystem=cfg.ext_system,
    )
    filter_el = sub(sub(root, "lst:requestInvoice"), "ftr:filter")
    ext = sub(filter_el, "ftr:extId")
    sub(ext, "typ:ids", ext_id)
    sub(ext, "typ:exSystemName", cfg.ext_system)
    return root


def read_invoices(listing: etree._Element) -> list[tuple[int, str]]:
    """(id, number) of the invoices of a ``lst:listInvoice`` reply."""
    return [
        (int(text_of(header, "inv:id")), text_of(header, "inv:number/typ:numberRequested"))
        for header in listing.iterfind("lst:invoice/inv:invoiceHeader", NS)
    ]
