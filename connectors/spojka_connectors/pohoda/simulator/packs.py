"""One ``dat:dataPack`` in, one ``rsp:responsePack`` out: what the mServer does with ``POST /xml``.

Order of checks, as POHODA does them: the document must be well-formed XML (else HTTP 400) and
valid against ``data.xsd`` (else a pack-level error naming the XSD error); an injected pack fault
(no right to import XML, licences busy, database closed) or an IČO that is not the company's fail
the whole pack (``state="error"`` with a note, still HTTP 200). Then every ``dataPackItem`` is
processed on its own: a refused document gives that item ``state="error"`` with
``rdc:importDetails`` (errno, note, XPath, value); the others are committed. A list the user may not
see (an injected ``list_errors`` fault) is answered ``state="error"`` with its error detail.

With ``STW-Check-Duplicity: true`` a ``dataPack@id`` + ``dataPackItem@id`` pair imported before is
not imported again: the item answers ``rsp:errorDetail/rsp:recordDuplicity`` naming the record.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from lxml import etree

from spojka_connectors.pohoda.simulator import exports, imports
from spojka_connectors.pohoda.simulator.books import Books, BooksError
from spojka_connectors.pohoda.simulator.imports import Produced
from spojka_connectors.pohoda.simulator.schemas import SchemaError, Schemas
from spojka_connectors.pohoda.simulator.state import PACK_FAULT_NOTES, ReceivedPack, State
from spojka_connectors.pohoda.xmlns import NS, element, fmt_datetime, parse_document, q, sub, text_of

#: Agenda element → (response element, filter agenda name for recordDuplicity, importer).
_IMPORTS: dict[str, tuple[str, str, Callable[[Books, etree._Element, str], Produced]]] = {
    q("ord:order"): ("ord:orderResponse", "prijate_objednavky", imports.import_order),
    q("inv:invoice"): ("inv:invoiceResponse", "vydane_faktury", imports.import_invoice),
    q("stk:stock"): ("stk:stockItemResponse", "zasoby", imports.import_stock),
}
#: List request → (reply element, exporter).
_EXPORTS: dict[str, tuple[str, Callable[[Books, etree._Element, etree._Element], int]]] = {
    q("lStk:listStockRequest"): ("lStk:listStock", exports.list_stock),
    q("lst:listOrderRequest"): ("lst:listOrder", exports.list_orders),
    q("lst:listInvoiceRequest"): ("lst:listInvoice", exports.list_invoices),
    q("lst:listStoreRequest"): ("lst:listStore", exports.list_stores),
    q("lst:listPaymentRequest"): ("lst:listPayment", exports.list_payments),
    q("lst:listNumericalSeriesRequest"): ("lst:listNumericalSeries", exports.list_numerical_series),
}


class MalformedError(Exception):
    """Not XML at all: answered with HTTP 400."""


def process(
    state: State, schemas: Schemas, body: bytes, *, check_duplicity: bool
) -> tuple[etree._Element, int, int]:
    """Process one request body; the reply element, imported documents and exported records.

    Raises :class:`MalformedError` for a body that is not well-formed XML.
    """
    try:
        root = parse_document(body)
    except etree.XMLSyntaxError as exc:
        state.record(ReceivedPack(body=body, valid=False, error=str(exc)))
        raise MalformedError(str(exc)) from None
    pack_id = root.get("id", "")
    refusal = _refusal(state, schemas, root, body)
    if refusal is not None:
        return _response_pack(state, pack_id, "error", refusal), 0, 0
    reply = _response_pack(state, pack_id, "ok")
    documents = records = 0
    for index, item in enumerate(root.iterfind("dat:dataPackItem", NS), start=1):
        agenda = item[0]
        item_reply = sub(reply, "rsp:responsePackItem", version="2.0", id=item.get("id", ""), state="ok")
        if agenda.tag in _EXPORTS:
            reply_name, exporter = _EXPORTS[str(agenda.tag)]
            denied = state.faults.list_errors.get(etree.QName(agenda).localname)
            if denied is not None:
                item_reply.set("state", "error")
                item_reply.set("note", denied[1])
                exports.refuse_list(state.books, item_reply, reply_name, *denied)
            else:
                records += exporter(state.books, agenda, item_reply)
        elif agenda.tag in _IMPORTS:
            documents += 1
            where = f"/dat:dataPack/dat:dataPackItem[{index}]/{_prefixed(agenda)}"
            earlier = state.imported_items.get((pack_id, item.get("id", ""))) if check_duplicity else None
            if earlier is not None:
                _duplicity(state, item_reply, agenda, earlier)
            else:
                _import(state, item_reply, agenda, where, (pack_id, item.get("id", "")))
        else:
            item_reply.set("state", "error")
            item_reply.set("note", f"Agenda {_prefixed(agenda)} není v simulátoru podporována.")
    return reply, documents, records


def _refusal(state: State, schemas: Schemas, root: etree._Element, body: bytes) -> str | None:
    """The note of a pack-level refusal (XSD, rights, licence, IČO), or ``None``."""
    try:
        schemas.check_request(etree.ElementTree(root))
    except SchemaError as exc:
        state.record(ReceivedPack(body=body, valid=False, error=str(exc)))
        return f"XML dokument neodpovídá XSD schématu ({exc})."
    state.record(ReceivedPack(body=body, valid=True))
    if root.tag != q("dat:dataPack"):
        return "Kořenový element musí být dat:dataPack."
    fault = state.faults.pack_error
    if fault is not None:
        return PACK_FAULT_NOTES[fault]
    if root.get("ico") != state.ico:
        return f"IČO {root.get('ico') or '(chybí)'} v XML neodpovídá IČO otevřené účetní jednotky."
    return None


def _duplicity(
    state: State, item_reply: etree._Element, agenda: etree._Element, earlier: tuple[str, int, str]
) -> None:
    """``STW-Check-Duplicity``: this pack item was imported before; name the record it made."""
    item_reply.set("state", "error")
    item_reply.set("note", "Duplicitní záznam: tato položka dávky již byla importována.")
    duplicity = sub(sub(item_reply, "rsp:errorDetail"), "rsp:recordDuplicity")
    sub(duplicity, "rsp:agendaType", earlier[0])
    if earlier[1] in _records_of(state.books, str(agenda.tag)):
        sub(duplicity, "rsp:id", str(earlier[1]))
    if earlier[2]:
        sub(duplicity, "rsp:number", earlier[2])


def _import(
    state: State, item_reply: etree._Element, agenda: etree._Element, where: str, key: tuple[str, str]
) -> None:
    """Import one document; an error marks this item only."""
    response_name, filter_agenda, importer = _IMPORTS[str(agenda.tag)]
    document = sub(item_reply, response_name, version="2.0", state="ok")
    try:
        _injected(state, agenda)
        produced = importer(state.books, agenda, where)
    except BooksError as exc:
        item_reply.set("state", "error")
        document.set("state", "error")
        _details(document, [("error", exc.errno, exc.note, exc.xpath or where, exc.value)])
        return
    state.imported_items[key] = (filter_agenda, produced.id, produced.number or produced.code)
    warnings = [("warning", 0, note, where, "") for note in _stock_warnings(state.books, agenda)]
    if warnings:
        _details(document, warnings)
    _produced(document, produced)


def _records_of(books: Books, tag: str) -> dict[int, object]:
    if tag == q("ord:order"):
        return dict(books.orders)
    if tag == q("inv:invoice"):
        return dict(books.invoices)
    return dict(books.cards)


def _injected(state: State, agenda: etree._Element) -> None:
    """A record error the control API injected for this order extId or stock code (used once)."""
    key = text_of(agenda, "ord:orderHeader/ord:extId/typ:ids") or text_of(agenda, "stk:stockHeader/stk:code")
    if key and key in state.faults.record_errors:
        errno, note = state.faults.record_errors.pop(key)
        raise BooksError(errno, note, value=key)


def _stock_warnings(books: Books, agenda: etree._Element) -> list[str]:
    """Since release 11500 POHODA warns when a reserved order takes more than the store holds."""
    if agenda.tag != q("ord:order") or text_of(agenda, "ord:orderHeader/ord:isReserved") != "true":
        return []
    notes = []
    for row in agenda.iterfind("ord:orderDetail/ord:orderItem", NS):
        code = text_of(row, "ord:stockItem/typ:stockItem/typ:ids")
        store = text_of(row, "ord:stockItem/typ:store/typ:ids")
        card = books.card(code, store) if code and store else None
        if card is not None and card.count - card.reservation < Decimal(0):
            notes.append(
                f"Zásoba {card.code} ({card.name}) na skladu {card.store}: rezervace převyšuje stav zásoby."
            )
    return notes


def _prefixed(agenda: etree._Element) -> str:
    qname = etree.QName(agenda)
    prefix = next((p for p, uri in NS.items() if uri == qname.namespace), "")
    return f"{prefix}:{qname.localname}"


def _response_pack(state: State, pack_id: str, status: str, note: str | None = None) -> etree._Element:
    attrib = {
        "version": "2.0",
        "id": pack_id,
        "state": status,
        "programVersion": state.program_version,
        "ico": state.ico,
        "dateTimeStamp": fmt_datetime(state.books.tick()),
    }
    if note is not None:
        attrib["note"] = note
    return element("rsp:responsePack", **attrib)


def _details(document: etree._Element, details: list[tuple[str, int, str, str, str]]) -> None:
    container = sub(document, "rdc:importDetails")
    for status, errno, note, xpath, value in details:
        detail = sub(container, "rdc:detail")
        sub(detail, "rdc:state", status)
        if errno:
            sub(detail, "rdc:errno", str(errno))
        sub(detail, "rdc:note", note)
        sub(detail, "rdc:XPath", xpath)
        if value:
            sub(detail, "rdc:valueRequested", value)


def _produced(document: etree._Element, produced: Produced) -> None:
    details = sub(document, "rdc:producedDetails")
    sub(details, "rdc:id", str(produced.id))
    if produced.number:
        sub(details, "rdc:number", produced.number)
    if produced.code:
        sub(details, "rdc:code", produced.code)
    sub(details, "rdc:actionType", produced.action)
    if produced.items:
        items = sub(details, "rdc:itemDetails", type="orderItem")
        for ext_id, item_id in produced.items:
            item = sub(items, "rdc:item")
            sub(item, "rdc:actionType", "add")
            if ext_id:
                sub(item, "rdc:extId", ext_id)
            sub(sub(item, "rdc:producedItem"), "rdc:id", str(item_id))
