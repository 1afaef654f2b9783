"""List requests as POHODA answers them: ``lStk:listStockRequest``, ``lst:listOrderRequest``,
``lst:listInvoiceRequest``, and the company's lists ``lst:listStoreRequest`` (stores),
``lst:listPaymentRequest`` (forms of payment) and ``lst:listNumericalSeriesRequest`` (number series,
filtered by ``agenda``, ``id`` and ``period``: the simulator keeps the current period only).

Filters: ``id``, ``extId``, ``code``, ``store``, ``lastChanges`` (records changed at or after the
given local time), ``selectedNumbers``; paging by ``limit`` (``idFrom``: the smallest record id,
``count``: at most that many records, ascending by id). Each function adds its reply element to
the ``rsp:responsePackItem`` given and returns how many records it exported (the simulator's
processing time is charged per record).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from spojka_connectors.pohoda.simulator.books import (
    Books,
    ExtId,
    IssuedInvoice,
    NumericalSeries,
    OrderItem,
    PaymentForm,
    ReceivedOrder,
    StockCard,
    Store,
)
from spojka_connectors.pohoda.simulator.imports import ext_id_of
from spojka_connectors.pohoda.xmlns import (
    NS,
    RATE_PERCENT,
    fmt_bool,
    fmt_datetime,
    fmt_decimal,
    parse_datetime,
    q,
    sub,
    text_of,
    to_local,
)

_Record = TypeVar("_Record", StockCard, ReceivedOrder, IssuedInvoice)


def _list_element(parent: etree._Element, name: str, books: Books) -> etree._Element:
    # Built inside the reply, whose root declares every prefix: a detached element would declare
    # namespaces on each child and make lxml reconcile them all when appended (10x slower).
    now = books.tick()
    return etree.SubElement(
        parent,
        q(name),
        {
            "version": "2.0",
            "dateTimeStamp": fmt_datetime(now),
            "dateValidFrom": to_local(now).date().isoformat(),
            "state": "ok",
        },
    )


def _page(
    records: dict[int, _Record], keep: Callable[[_Record], bool], limit: etree._Element | None
) -> list[_Record]:
    """The records ``keep`` accepts from id ``idFrom`` on, ascending, at most ``count`` of them."""
    id_from = int(text_of(limit, "ftr:idFrom") or 1)
    count = int(text_of(limit, "ftr:count") or 0) or len(records)
    page: list[_Record] = []
    # Ids are handed out ascending and never reused, so walking them in order needs no sorting.
    for record_id in range(max(id_from, 1), max(records, default=0) + 1):
        record = records.get(record_id)
        if record is not None and keep(record):
            page.append(record)
            if len(page) == count:
                break
    return page


def _since(filter_el: etree._Element | None) -> datetime | None:
    raw = text_of(filter_el, "ftr:lastChanges")
    return parse_datetime(raw) if raw else None


def _ext_matches(record_ext: ExtId | None, wanted: ExtId | None) -> bool:
    return wanted is None or record_ext == wanted


# -- stock ---------------------------------------------------------------------------------------------
def list_stock(books: Books, request: etree._Element, parent: etree._Element) -> int:
    filter_el = request.find("lStk:requestStock/ftr:filter", NS)
    since = _since(filter_el)
    wanted_id = text_of(filter_el, "ftr:id")
    code = text_of(filter_el, "ftr:code")
    store = text_of(filter_el, "ftr:store/typ:ids")
    ext = ext_id_of(filter_el, "ftr:extId")

    def keep(card: StockCard) -> bool:
        return (
            (since is None or card.changed_at >= since)
            and (not wanted_id or card.id == int(wanted_id))
            and (not code or card.code == code)
            and (not store or card.store == store)
            and _ext_matches(card.ext_id, ext)
        )

    cards = _page(books.cards, keep, request.find("lStk:limit", NS))
    reply = _list_element(parent, "lStk:listStock", books)
    for card in cards:
        _stock(sub(reply, "lStk:stock", version="2.0"), card)
    return len(cards)


def _stock(parent: etree._Element, card: StockCard) -> None:
    header = sub(parent, "stk:stockHeader")
    sub(header, "stk:id", str(card.id))
    if card.ext_id is not None:
        _ext_id(sub(header, "stk:extId"), card.ext_id)
    sub(header, "stk:stockType", "card")
    sub(header, "stk:code", card.code)
    if card.ean:
        sub(header, "stk:EAN", card.ean)
    rate = fmt_decimal(RATE_PERCENT.get(card.rate_vat, Decimal(0)))
    sub(header, "stk:sellingRateVAT", card.rate_vat, value=rate)
    sub(header, "stk:name", card.name)
    sub(header, "stk:unit", card.unit)
    storage = sub(header, "stk:storage")
    sub(storage, "typ:ids", card.store)
    if card.purchasing_price is not None:
        sub(header, "stk:weightedPurchasePrice", fmt_decimal(card.purchasing_price))
        sub(header, "stk:purchasingPrice", fmt_decimal(card.purchasing_price), payVAT="false")
    if card.selling_price is not None:
        sub(
            header, "stk:sellingPrice", fmt_decimal(card.selling_price), payVAT=fmt_bool(card.selling_pay_vat)
        )
    sub(header, "stk:count", fmt_decimal(card.count))
    sub(header, "stk:countReceivedOrders", fmt_decimal(card.count_received_orders))
    sub(header, "stk:reservation", fmt_decimal(card.reservation))


def _ext_id(parent: etree._Element, ext_id: ExtId) -> None:
    sub(parent, "typ:ids", ext_id.ids)
    sub(parent, "typ:exSystemName", ext_id.system)


# -- received orders --------------------------------------------------------------------------------------
def list_orders(books: Books, request: etree._Element, parent: etree._Element) -> int:
    reply = _list_element(parent, "lst:listOrder", books)
    if request.get("orderType") != "receivedOrder":
        return 0  # the simulator keeps no issued orders
    filter_el = request.find("lst:requestOrder/ftr:filter", NS)
    since = _since(filter_el)
    wanted_id = text_of(filter_el, "ftr:id")
    ext = ext_id_of(filter_el, "ftr:extId")
    numbers = {
        n.text or ""
        for n in request.iterfind(
            "lst:requestOrder/ftr:filter/ftr:selectedNumbers/ftr:number/typ:numberRequested", NS
        )
    }

    def keep(order: ReceivedOrder) -> bool:
        return (
            (since is None or order.changed_at >= since)
            and (not wanted_id or order.id == int(wanted_id))
            and (not numbers or order.number in numbers)
            and _ext_matches(order.ext_id, ext)
        )

    if ext is not None:
        # POHODA resolves an extId through its mapping table, not by scanning the agenda.
        found = books.order_by_ext_id(ext)
        orders = [found] if found is not None and keep(found) else []
    else:
        orders = _page(books.orders, keep, request.find("lst:limit", NS))
    system = request.get("extSystem")
    parameters = text_of(request, "lst:restrictionData/lst:parameters") != "false"
    for order in orders:
        _order(sub(reply, "lst:order", version="2.0"), books, order, system, parameters=parameters)
    return len(orders)


def _order(
    parent: etree._Element, books: Books, order: ReceivedOrder, system: str | None, *, parameters: bool
) -> None:
    _order_header(sub(parent, "ord:orderHeader"), order, system, parameters=parameters)
    if order.items:
        detail = sub(parent, "ord:orderDetail")
        for item in order.items:
            _order_item(sub(detail, "ord:orderItem"), books, item, order)
    summary = sub(parent, "ord:orderSummary")
    sub(summary, "ord:roundingDocument", "none")
    if order.currency:
        foreign = sub(summary, "ord:foreignCurrency")
        sub(sub(foreign, "typ:currency"), "typ:ids", order.currency)
        sub(foreign, "typ:rate", fmt_decimal(order.rate or Decimal(1)))


def _order_header(
    header: etree._Element, order: ReceivedOrder, system: str | None, *, parameters: bool
) -> None:
    sub(header, "ord:id", str(order.id))
    if order.ext_id is not None and system is not None and order.ext_id.system == system:
        _ext_id(sub(header, "ord:extId"), order.ext_id)
    sub(header, "ord:orderType", "receivedOrder")
    number = sub(header, "ord:number")
    sub(number, "typ:ids", order.series)
    sub(number, "typ:numberRequested", order.number)
    if order.number_order:
        sub(header, "ord:numberOrder", order.number_order)
    sub(header, "ord:date", order.date.isoformat())
    if order.text:
        sub(header, "ord:text", order.text)
    if order.partner or order.ship_to:
        identity = sub(header, "ord:partnerIdentity")
        if order.partner:
            _address(sub(identity, "typ:address"), order.partner)
        if order.ship_to:
            _address(sub(identity, "typ:shipToAddress"), order.ship_to)
    if order.payment_type:
        sub(sub(header, "ord:paymentType"), "typ:ids", order.payment_type)
    sub(header, "ord:isExecuted", fmt_bool(order.is_executed))
    sub(header, "ord:isDelivered", fmt_bool(order.issued))
    sub(header, "ord:isReserved", fmt_bool(order.is_reserved))
    if order.carrier:
        sub(sub(header, "ord:carrier"), "typ:ids", order.carrier)
    if order.note:
        sub(header, "ord:note", order.note)
    if order.int_note:
        sub(header, "ord:intNote", order.int_note)
    if parameters and order.parameters:
        params = sub(header, "ord:parameters")
        for name, value in sorted(order.parameters.items()):
            parameter = sub(params, "typ:parameter")
            sub(parameter, "typ:name", name)
            sub(parameter, "typ:textValue", value)


def _address(parent: etree._Element, values: dict[str, str]) -> None:
    order = (
        "company",
        "division",
        "name",
        "city",
        "street",
        "zip",
        "ico",
        "dic",
        "country",
        "phone",
        "email",
    )
    for key in order:
        value = values.get(key)
        if not value:
            continue
        if key == "country":
            sub(sub(parent, "typ:country"), "typ:ids", value)
        else:
            sub(parent, f"typ:{key}", value)


def _order_item(parent: etree._Element, books: Books, item: OrderItem, order: ReceivedOrder) -> None:
    sub(parent, "ord:id", str(item.id))
    if item.ext_id:
        sub(parent, "ord:extId", item.ext_id)
    sub(parent, "ord:text", item.text)
    sub(parent, "ord:quantity", fmt_decimal(item.quantity))
    sub(parent, "ord:delivered", fmt_decimal(item.quantity if order.issued else Decimal(0)))
    if item.unit:
        sub(parent, "ord:unit", item.unit)
    sub(parent, "ord:payVAT", fmt_bool(item.pay_vat))
    rate = RATE_PERCENT.get(item.rate_vat, Decimal(0))
    sub(parent, "ord:rateVAT", item.rate_vat, value=fmt_decimal(rate))
    if item.discount_percentage:
        sub(parent, "ord:discountPercentage", fmt_decimal(item.discount_percentage))
    home = sub(parent, "ord:homeCurrency")
    sub(home, "typ:unitPrice", fmt_decimal(item.unit_price))
    if item.foreign_unit_price is not None:
        sub(sub(parent, "ord:foreignCurrency"), "typ:unitPrice", fmt_decimal(item.foreign_unit_price))
    if item.code:
        sub(parent, "ord:code", item.code)
    card = books.cards.get(item.card_id) if item.card_id is not None else None
    if card is not None:
        stock = sub(parent, "ord:stockItem")
        sub(sub(stock, "typ:store"), "typ:ids", card.store)
        stock_item = sub(stock, "typ:stockItem")
        sub(stock_item, "typ:id", str(card.id))
        sub(stock_item, "typ:ids", card.code)


# -- issued invoices ---------------------------------------------------------------------------------------
def list_invoices(books: Books, request: etree._Element, parent: etree._Element) -> int:
    reply = _list_element(parent, "lst:listInvoice", books)
    if request.get("invoiceType") != "issuedInvoice":
        return 0
    filter_el = request.find("lst:requestInvoice/ftr:filter", NS)
    since = _since(filter_el)
    wanted_id = text_of(filter_el, "ftr:id")
    ext = ext_id_of(filter_el, "ftr:extId")

    def keep(invoice: IssuedInvoice) -> bool:
        return (
            (since is None or invoice.changed_at >= since)
            and (not wanted_id or invoice.id == int(wanted_id))
            and _ext_matches(invoice.ext_id, ext)
        )

    invoices = _page(books.invoices, keep, request.find("lst:limit", NS))
    system = request.get("extSystem")
    for invoice in invoices:
        _invoice(sub(reply, "lst:invoice", version="2.0"), books, invoice, system)
    return len(invoices)


def _invoice(parent: etree._Element, books: Books, invoice: IssuedInvoice, system: str | None) -> None:
    header = sub(parent, "inv:invoiceHeader")
    sub(header, "inv:id", str(invoice.id))
    if invoice.ext_id is not None and system is not None and invoice.ext_id.system == system:
        _ext_id(sub(header, "inv:extId"), invoice.ext_id)
    sub(header, "inv:invoiceType", "issuedInvoice")
    number = sub(header, "inv:number")
    sub(number, "typ:numberRequested", invoice.number)
    if invoice.sym_var:
        sub(header, "inv:symVar", invoice.sym_var)
    sub(header, "inv:date", invoice.date.isoformat())
    if invoice.text:
        sub(header, "inv:text", invoice.text)
    order = books.orders.get(invoice.order_id) if invoice.order_id is not None else None
    if order is not None and order.number_order:
        sub(header, "inv:numberOrder", order.number_order)


# -- the company's lists: stores, forms of payment, number series ------------------------------------
def refuse_list(books: Books, parent: etree._Element, name: str, errno: int, note: str) -> None:
    """A list POHODA would not export (no right to the agenda): the reply with its error detail."""
    reply = _list_element(parent, name, books)
    reply.set("state", "error")
    detail = sub(sub(reply, "rdc:importDetails"), "rdc:detail")
    sub(detail, "rdc:state", "error")
    sub(detail, "rdc:errno", str(errno))
    sub(detail, "rdc:note", note)


def _wanted_id(filter_el: etree._Element | None) -> int | None:
    raw = text_of(filter_el, "ftr:id")
    return int(raw) if raw else None


def list_stores(books: Books, request: etree._Element, parent: etree._Element) -> int:
    wanted = _wanted_id(request.find("lst:requestStore/ftr:filter", NS))
    stores = [s for s in books.stores.values() if wanted is None or s.id == wanted]
    stores = _limited(stores, request.find("lst:limit", NS))
    reply = _list_element(parent, "lst:listStore", books)
    for store in stores:
        _store(sub(reply, "lst:store", version="2.0"), store)
    return len(stores)


def _store(parent: etree._Element, store: Store) -> None:
    sub(parent, "sto:id", str(store.id))
    sub(parent, "sto:name", store.name)
    sub(parent, "sto:text", store.text)
    sub(parent, "sto:allowNegInvBalance", "false")


def list_payments(books: Books, request: etree._Element, parent: etree._Element) -> int:
    wanted = _wanted_id(request.find("lst:requestPayment/ftr:filter", NS))
    forms = [f for f in books.payment_forms.values() if wanted is None or f.id == wanted]
    forms = _limited(forms, request.find("lst:limit", NS))
    reply = _list_element(parent, "lst:listPayment", books)
    for form in forms:
        _payment(sub(sub(reply, "lst:payment", version="2.0"), "pay:paymentHeader"), form)
    return len(forms)


def _payment(header: etree._Element, form: PaymentForm) -> None:
    sub(header, "pay:id", str(form.id))
    sub(header, "pay:name", form.name)
    if form.text:
        sub(header, "pay:text", form.text)
    sub(header, "pay:paymentType", form.kind)
    sub(header, "pay:useInSales", fmt_bool(form.use_in_sales))
    sub(header, "pay:useInOtherAgendas", fmt_bool(form.use_in_other_agendas))


def list_numerical_series(books: Books, request: etree._Element, parent: etree._Element) -> int:
    filter_el = request.find("lst:requestNumericalSeries/ftr:filter", NS)
    wanted = _wanted_id(filter_el)
    agenda = text_of(filter_el, "ftr:agenda")
    period = text_of(filter_el, "ftr:period") or "current"
    series = [
        s
        for s in books.series.values()
        if (wanted is None or s.id == wanted) and (not agenda or s.agenda == agenda) and period == "current"
    ]
    series = _limited(series, request.find("lst:limit", NS))
    reply = _list_element(parent, "lst:listNumericalSeries", books)
    for one in series:
        header = sub(sub(reply, "lst:numericalSeries", version="2.0"), "nms:numericalSeriesHeader")
        _series(header, one, books)
    return len(series)


def _series(header: etree._Element, series: NumericalSeries, books: Books) -> None:
    sub(header, "nms:id", str(series.id))
    sub(header, "nms:prefix", series.prefix)
    sub(header, "nms:number", series.number)
    top = books.top_number(series.prefix)
    if top:
        sub(header, "nms:topNumber", top)
    sub(header, "nms:name", series.name)
    sub(header, "nms:agenda", series.agenda)
    sub(header, "nms:period", series.period)
    sub(header, "nms:year", str(books.year))


_Listed = TypeVar("_Listed", Store, PaymentForm, NumericalSeries)


def _limited(records: list[_Listed], limit: etree._Element | None) -> list[_Listed]:
    """``limit``: from id ``idFrom`` on, at most ``count`` (the lists are kept in id order)."""
    id_from = int(text_of(limit, "ftr:idFrom") or 1)
    count = int(text_of(limit, "ftr:count") or 0) or len(records)
    return [r for r in records if r.id >= id_from][:count]
