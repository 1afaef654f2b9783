"""Importing documents as POHODA does: received orders (add, delete), invoices from orders, stock cards.

A received order must name a number series of received orders and a form of payment the company
has (by ``typ:ids``), as POHODA refuses unknown ones; carriers are taken as written.

Each function takes one agenda element of a ``dataPackItem`` (already valid against the XSDs),
changes :class:`~spojka_connectors.pohoda.simulator.books.Books`, and returns what the reply's
``producedDetails`` needs, or raises :class:`~spojka_connectors.pohoda.simulator.books.BooksError`.
``where`` is the XPath of the agenda element, for the error details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from spojka_connectors.pohoda.simulator.books import (
    DEFAULT_ORDER_SERIES,
    DEFAULT_STORE,
    ORDERS_AGENDA,
    ZERO,
    Books,
    BooksError,
    ExtId,
    OrderItem,
    ReceivedOrder,
)
from spojka_connectors.pohoda.xmlns import NS, decimal_of, text_of


@dataclass(slots=True)
class Produced:
    """What a successful import made: the content of ``rdc:producedDetails``."""

    id: int
    action: str = "add"
    number: str = ""
    code: str = ""
    items: list[tuple[str, int]] = field(default_factory=list)


def ext_id_of(parent: etree._Element | None, path: str) -> ExtId | None:
    found = parent.find(path, NS) if parent is not None else None
    if found is None:
        return None
    return ExtId(ids=text_of(found, "typ:ids"), system=text_of(found, "typ:exSystemName"))


def _address(parent: etree._Element | None) -> dict[str, str]:
    if parent is None:
        return {}
    values = {etree.QName(child).localname: (child.text or "").strip() for child in parent}
    country = parent.find("typ:country", NS)
    if country is not None:
        values["country"] = text_of(country, "typ:ids")
    return {k: v for k, v in values.items() if v}


def _bool(parent: etree._Element | None, path: str) -> bool:
    return text_of(parent, path) == "true"


# -- received orders -------------------------------------------------------------------------------
def import_order(books: Books, order_el: etree._Element, where: str) -> Produced:
    """``ord:order``: ``actionType/delete`` deletes, anything else adds a received order."""
    delete = order_el.find("ord:actionType/ord:delete/ftr:filter", NS)
    if delete is not None:
        return _delete_order(books, delete)
    if order_el.find("ord:actionType", NS) is not None:
        raise BooksError(101, "Neznámý typ akce.", xpath=f"{where}/ord:actionType")
    header = order_el.find("ord:orderHeader", NS)
    order_type = text_of(header, "ord:orderType")
    if order_type != "receivedOrder":
        raise BooksError(
            101,
            "Simulátor přijímá jen přijaté objednávky (orderType receivedOrder).",
            xpath=f"{where}/ord:orderHeader/ord:orderType",
            value=order_type,
        )
    raw_date = text_of(header, "ord:date")
    series = text_of(header, "ord:number/typ:ids") or DEFAULT_ORDER_SERIES
    if books.series_of(series, ORDERS_AGENDA) is None:
        raise BooksError(
            108,
            f"Číselná řada {series} pro přijaté objednávky neexistuje.",
            xpath=f"{where}/ord:orderHeader/ord:number/typ:ids",
            value=series,
        )
    payment_ids = text_of(header, "ord:paymentType/typ:ids")
    if payment_ids and books.payment_form(payment_ids) is None:
        raise BooksError(
            108,
            "Neznámá hodnota.",
            xpath=f"{where}/ord:orderHeader/ord:paymentType/typ:ids",
            value=payment_ids,
        )
    payment_type = payment_ids or text_of(header, "ord:paymentType/typ:paymentType")
    order = ReceivedOrder(
        id=0,
        number="",
        series=series,
        date=date.fromisoformat(raw_date) if raw_date else books.tick().date(),
        changed_at=books.tick(),
        ext_id=ext_id_of(header, "ord:extId"),
        number_order=text_of(header, "ord:numberOrder"),
        text=text_of(header, "ord:text"),
        partner=_address(header.find("ord:partnerIdentity/typ:address", NS) if header is not None else None),
        ship_to=_address(
            header.find("ord:partnerIdentity/typ:shipToAddress", NS) if header is not None else None
        ),
        payment_type=payment_type,
        carrier=text_of(header, "ord:carrier/typ:ids"),
        note=text_of(header, "ord:note"),
        int_note=text_of(header, "ord:intNote"),
        is_reserved=_bool(header, "ord:isReserved"),
        is_executed=_bool(header, "ord:isExecuted"),
    )
    summary = order_el.find("ord:orderSummary/ord:foreignCurrency", NS)
    if summary is not None:
        order.currency = text_of(summary, "typ:currency/typ:ids")
        order.rate = decimal_of(summary, "typ:rate")
    for index, row in enumerate(order_el.iterfind("ord:orderDetail/ord:orderItem", NS), start=1):
        order.items.append(_order_item(books, row, f"{where}/ord:orderDetail/ord:orderItem[{index}]", order))
    if order.ext_id is not None and books.order_by_ext_id(order.ext_id) is not None:
        raise BooksError(
            116,
            f"Záznam s externím identifikátorem {order.ext_id.ids} již existuje.",
            xpath=f"{where}/ord:orderHeader/ord:extId",
            value=order.ext_id.ids,
        )
    order.number = books.next_number(series)
    books.add_order(order)
    return Produced(
        id=order.id,
        number=order.number,
        items=[(item.ext_id, item.id) for item in order.items],
    )


def _order_item(books: Books, row: etree._Element, where: str, order: ReceivedOrder) -> OrderItem:
    foreign = row.find("ord:foreignCurrency", NS)
    home_price = decimal_of(row, "ord:homeCurrency/typ:unitPrice")
    foreign_price = decimal_of(foreign, "typ:unitPrice") if foreign is not None else None
    if home_price is None:
        # A foreign-currency row: POHODA converts at the document's rate.
        home_price = (foreign_price or ZERO) * (order.rate or Decimal(1))
    item = OrderItem(
        id=books.new_item_id(),
        text=text_of(row, "ord:text"),
        quantity=decimal_of(row, "ord:quantity", Decimal(1)) or Decimal(1),
        unit_price=home_price,
        pay_vat=_bool(row, "ord:payVAT"),
        rate_vat=text_of(row, "ord:rateVAT") or "none",
        unit=text_of(row, "ord:unit"),
        ext_id=text_of(row, "ord:extId"),
        discount_percentage=decimal_of(row, "ord:discountPercentage", ZERO) or ZERO,
        code=text_of(row, "ord:code"),
        foreign_unit_price=foreign_price,
    )
    stock = row.find("ord:stockItem", NS)
    if stock is not None:
        store = text_of(stock, "typ:store/typ:ids") or DEFAULT_STORE
        ids = text_of(stock, "typ:stockItem/typ:ids")
        ean = text_of(stock, "typ:stockItem/typ:EAN")
        card = books.card(ids, store) if ids else books.card_by_ean(ean, store) if ean else None
        if card is None:
            raise BooksError(
                108,
                f"Skladová zásoba {ids or ean} nebyla na skladu {store} nalezena.",
                xpath=f"{where}/ord:stockItem/typ:stockItem/typ:{'ids' if ids else 'EAN'}",
                value=ids or ean,
            )
        item.card_id = card.id
        item.store = store
        item.code = item.code or card.code
        item.unit = item.unit or card.unit
        item.text = item.text or card.name
    return item


def _delete_order(books: Books, filter_el: etree._Element) -> Produced:
    raw_id = text_of(filter_el, "ftr:id")
    number = text_of(filter_el, "ftr:number")
    if raw_id:
        order_id = int(raw_id)
    else:
        found = next((o for o in books.orders.values() if o.number == number), None)
        if found is None:
            raise BooksError(108, f"Objednávka {number} nebyla nalezena.", value=number)
        order_id = found.id
    deleted = books.delete_order(order_id)
    return Produced(id=deleted.id, action="delete", number=deleted.number)


# -- issued invoices ---------------------------------------------------------------------------------
def import_invoice(books: Books, invoice_el: etree._Element, where: str) -> Produced:
    """``inv:invoice`` with ``inv:links`` to a received order: the whole order becomes the invoice."""
    header = invoice_el.find("inv:invoiceHeader", NS)
    invoice_type = text_of(header, "inv:invoiceType")
    if invoice_type != "issuedInvoice":
        raise BooksError(
            101,
            "Simulátor vystavuje jen faktury vydané (invoiceType issuedInvoice).",
            xpath=f"{where}/inv:invoiceHeader/inv:invoiceType",
            value=invoice_type,
        )
    link = invoice_el.find("inv:links/typ:link", NS)
    if link is None or text_of(link, "typ:sourceAgenda") != "receivedOrder":
        raise BooksError(
            101,
            "Simulátor vystavuje faktury jen přenosem celé přijaté objednávky (inv:links).",
            xpath=f"{where}/inv:links",
        )
    source = link.find("typ:sourceDocument", NS)
    raw_id, number = text_of(source, "typ:id"), text_of(source, "typ:number")
    order = (
        books.orders.get(int(raw_id))
        if raw_id
        else next((o for o in books.orders.values() if o.number == number), None)
    )
    if order is None:
        raise BooksError(
            108,
            f"Zdrojový doklad {raw_id or number} nebyl nalezen.",
            xpath=f"{where}/inv:links/typ:link/typ:sourceDocument",
            value=raw_id or number,
        )
    invoice = books.invoice_order(
        order.id,
        ext_id=ext_id_of(header, "inv:extId"),
        sym_var=text_of(header, "inv:symVar"),
        text=text_of(header, "inv:text"),
        series=text_of(header, "inv:number/typ:ids") or "FV",
    )
    return Produced(id=invoice.id, number=invoice.number)


# -- stock cards --------------------------------------------------------------------------------------
def import_stock(books: Books, stock_el: etree._Element, where: str) -> Produced:
    """``stk:stock``: add (refused when the code exists in the store), or ``add update="true"`` upsert."""
    header = stock_el.find("stk:stockHeader", NS)
    action = stock_el.find("stk:actionType/*", NS)
    code = text_of(header, "stk:code")
    store = text_of(header, "stk:storage/typ:ids").split("/")[0] or DEFAULT_STORE
    existing = None
    if action is not None:
        filter_el = action.find("ftr:filter", NS)
        by_code = text_of(filter_el, "ftr:code") or code
        by_store = text_of(filter_el, "ftr:store/typ:ids") or store
        existing = books.card(by_code, by_store)
        verb = etree.QName(action).localname
        may_add = verb == "add" or action.get("add") == "true"
        may_update = verb == "update" or action.get("update") == "true"
        if existing is None and not may_add:
            raise BooksError(108, f"Zásoba {by_code} nebyla nalezena.", value=by_code)
        if existing is not None and not may_update:
            raise BooksError(105, f"Zásoba s kódem {by_code} již na skladu {by_store} existuje.")
    if existing is None:
        name = text_of(header, "stk:name")
        if not code or not name:
            raise BooksError(
                101, "Nová zásoba musí mít kód a název.", xpath=f"{where}/stk:stockHeader/stk:name"
            )
        card = books.add_card(
            code,
            name,
            store=store,
            ean=text_of(header, "stk:EAN"),
            unit=text_of(header, "stk:unit") or "ks",
            rate_vat=text_of(header, "stk:sellingRateVAT") or "high",
            purchasing_price=decimal_of(header, "stk:purchasingPrice"),
            selling_price=decimal_of(header, "stk:sellingPrice"),
            ext_id=ext_id_of(header, "stk:extId"),
        )
        return Produced(id=card.id, code=card.code)
    for path, attr in (
        ("stk:name", "name"),
        ("stk:EAN", "ean"),
        ("stk:unit", "unit"),
        ("stk:sellingRateVAT", "rate_vat"),
    ):
        value = text_of(header, path)
        if value:
            setattr(existing, attr, value)
    for path, attr in (("stk:purchasingPrice", "purchasing_price"), ("stk:sellingPrice", "selling_price")):
        number = decimal_of(header, path)
        if number is not None:
            setattr(existing, attr, number)
    books.touch(existing)
    return Produced(id=existing.id, action="update", code=existing.code)
