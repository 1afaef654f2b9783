"""The simulated POHODA company: stores, stock cards, received orders, issued invoices.

Only what the mServer XML touches is kept, with POHODA's rules as far as the connector relies on
them: a reserved order raises the cards' ``reservation``; every received order raises
``countReceivedOrders``; issuing goods (an invoice from the order, or settling it) lowers ``count``
and releases the reservation; a settled or invoiced order cannot be deleted; every change stamps
the record's change time, which ``lastChanges`` filters on. Change times never go backwards, so a
reader that resumes from a time sees every later change.

The control methods (:meth:`Books.set_stock`, :meth:`Books.settle`, ...) are what tests, the demo
and the control API use to act as the accountant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final

ZERO: Final = Decimal(0)
DEFAULT_STORE: Final = "ZBOŽÍ"
DEFAULT_TRACKING_PARAMETER: Final = "VPrSledovani"
#: The series a received order gets when the document names none.
DEFAULT_ORDER_SERIES: Final = "OBP"
#: Number series agendas (filter.xsd ``CRadyAgendaType``) the simulator uses.
ORDERS_AGENDA: Final = "prijate_objednavky"
INVOICES_AGENDA: Final = "vydane_faktury"

#: A new company's stores: (abbreviation, description).
SEED_STORES: Final = (
    (DEFAULT_STORE, "Hlavní sklad zboží"),
    ("VÝPRODEJ", "Výprodejový sklad"),
)
#: A new company's forms of payment: (name, description, payment.xsd type, in other agendas).
SEED_PAYMENT_FORMS: Final = (
    ("Příkazem", "Převodem na účet", "transfer", True),
    ("Hotově", "Hotovost", "cash", True),
    ("Dobírkou", "Platba při převzetí zásilky", "delivery", True),
    ("Kartou", "Platební kartou", "creditCard", True),
    # Offered only on sales receipts (Prodejky), never on orders.
    ("Stravenky", "Stravenky v prodejně", "ticket", False),
)
#: A new company's number series: (prefix, name, agenda).
SEED_SERIES: Final = (
    (DEFAULT_ORDER_SERIES, "Přijaté objednávky", ORDERS_AGENDA),
    ("OP", "Objednávky z e-shopu", ORDERS_AGENDA),
    ("OPV", "Objednávky velkoobchod", ORDERS_AGENDA),
    ("FV", "Vydané faktury", INVOICES_AGENDA),
    ("OV", "Vydané objednávky", "vydane_objednavky"),
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ExtId:
    """``typ:extIdType``: the record's id in an external system."""

    ids: str
    system: str


@dataclass(frozen=True, slots=True)
class Store:
    """A store (sklad): its abbreviation (``sto:name``, 10 characters) and description."""

    id: int
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class PaymentForm:
    """A form of payment (forma úhrady), referenced from documents by its name."""

    id: int
    name: str
    text: str
    kind: str
    use_in_sales: bool = True
    use_in_other_agendas: bool = True


@dataclass(frozen=True, slots=True)
class NumericalSeries:
    """A number series (číselná řada) of one agenda, referenced from documents by its prefix."""

    id: int
    prefix: str
    name: str
    agenda: str
    period: str = "yearlong"
    number: str = "0001"


@dataclass(slots=True)
class StockCard:
    """A stock card (zásoba) of type ``card`` in one store."""

    id: int
    code: str
    name: str
    store: str
    changed_at: datetime
    ean: str = ""
    unit: str = "ks"
    rate_vat: str = "high"
    purchasing_price: Decimal | None = None
    selling_price: Decimal | None = None
    selling_pay_vat: bool = True
    count: Decimal = ZERO
    reservation: Decimal = ZERO
    count_received_orders: Decimal = ZERO
    ext_id: ExtId | None = None


@dataclass(slots=True)
class OrderItem:
    """A row of a received order; ``card_id`` links a stock item, else it is a text row."""

    id: int
    text: str
    quantity: Decimal
    unit_price: Decimal
    pay_vat: bool
    rate_vat: str
    unit: str = ""
    ext_id: str = ""
    discount_percentage: Decimal = ZERO
    code: str = ""
    card_id: int | None = None
    store: str = ""
    #: The unit price in the order's foreign currency, when it has one.
    foreign_unit_price: Decimal | None = None


@dataclass(slots=True)
class ReceivedOrder:
    """A received order (objednávka přijatá)."""

    id: int
    number: str
    series: str
    date: date
    changed_at: datetime
    ext_id: ExtId | None = None
    number_order: str = ""
    text: str = ""
    partner: dict[str, str] = field(default_factory=dict)
    ship_to: dict[str, str] = field(default_factory=dict)
    payment_type: str = ""
    carrier: str = ""
    note: str = ""
    int_note: str = ""
    is_reserved: bool = False
    is_executed: bool = False
    issued: bool = False
    currency: str = ""
    rate: Decimal | None = None
    items: list[OrderItem] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    invoice_id: int | None = None


@dataclass(slots=True)
class IssuedInvoice:
    """An issued invoice (faktura vydaná), here always made from a received order."""

    id: int
    number: str
    date: date
    changed_at: datetime
    order_id: int | None
    ext_id: ExtId | None = None
    sym_var: str = ""
    text: str = ""


class BooksError(Exception):
    """A document POHODA refuses: ``errno`` and ``note`` as its reply states them."""

    def __init__(self, errno: int, note: str, *, xpath: str = "", value: str = "") -> None:
        super().__init__(note)
        self.errno = errno
        self.note = note
        self.xpath = xpath
        self.value = value


class Books:
    """One company's agendas, with the accountant's actions as methods."""

    def __init__(self, *, clock: Callable[[], datetime] = _utcnow, year: int | None = None) -> None:
        self._clock = clock
        self.year = year if year is not None else clock().year
        #: Abbreviation → store; forms of payment and number series by record id.
        self.stores: dict[str, Store] = {}
        self.payment_forms: dict[int, PaymentForm] = {}
        self.series: dict[int, NumericalSeries] = {}
        for name, text in SEED_STORES:
            self.add_store(name, text)
        for name, text, kind, other in SEED_PAYMENT_FORMS:
            self.add_payment_form(name, text, kind=kind, use_in_other_agendas=other)
        for prefix, series_name, agenda in SEED_SERIES:
            self.add_series(prefix, series_name, agenda=agenda)
        self.cards: dict[int, StockCard] = {}
        self.orders: dict[int, ReceivedOrder] = {}
        self.invoices: dict[int, IssuedInvoice] = {}
        self._last_change = datetime.min.replace(tzinfo=UTC)
        self._next_card = 1
        self._next_order = 1
        self._next_item = 1
        self._next_invoice = 1
        self._series_counters: dict[str, int] = {}
        #: (store, code) → card id: POHODA keeps one card per code and store.
        self._by_code: dict[tuple[str, str], int] = {}
        #: POHODA's extId mapping table of received orders: one record per external id.
        self._orders_by_ext: dict[ExtId, int] = {}

    # -- time ----------------------------------------------------------------------------------
    def tick(self) -> datetime:
        """The change time of a change made now: never before the previous one."""
        now = self._clock()
        if now <= self._last_change:
            now = self._last_change + timedelta(microseconds=1)
        self._last_change = now
        return now

    # -- lists: stores, forms of payment, number series ------------------------------------------
    def add_store(self, name: str, text: str) -> Store:
        """A new store; POHODA keeps one store per abbreviation."""
        if name in self.stores:
            raise BooksError(105, f"Sklad {name} již existuje.", value=name)
        store = Store(id=len(self.stores) + 1, name=name, text=text)
        self.stores[name] = store
        return store

    def add_payment_form(
        self, name: str, text: str = "", *, kind: str = "other", use_in_other_agendas: bool = True
    ) -> PaymentForm:
        form = PaymentForm(
            id=len(self.payment_forms) + 1,
            name=name,
            text=text,
            kind=kind,
            use_in_sales=True,
            use_in_other_agendas=use_in_other_agendas,
        )
        self.payment_forms[form.id] = form
        return form

    def payment_form(self, name: str) -> PaymentForm | None:
        """The form of payment a document names by ``typ:ids`` (its name), if the company has it."""
        return next((f for f in self.payment_forms.values() if f.name == name), None)

    def add_series(self, prefix: str, name: str, *, agenda: str = ORDERS_AGENDA) -> NumericalSeries:
        series = NumericalSeries(id=len(self.series) + 1, prefix=prefix, name=name, agenda=agenda)
        self.series[series.id] = series
        return series

    def series_of(self, prefix: str, agenda: str) -> NumericalSeries | None:
        """The number series with ``prefix`` in ``agenda`` (as ``number/typ:ids`` names it)."""
        return next((s for s in self.series.values() if s.prefix == prefix and s.agenda == agenda), None)

    def top_number(self, prefix: str) -> str:
        """The highest number issued in a series so far, or ``""``."""
        counter = self._series_counters.get(prefix, 0)
        return f"{prefix}{self.year % 100:02d}{counter:04d}" if counter else ""

    # -- stock cards -----------------------------------------------------------------------------
    def card(self, code: str, store: str = DEFAULT_STORE) -> StockCard | None:
        card_id = self._by_code.get((store, code))
        return self.cards.get(card_id) if card_id is not None else None

    def card_by_ean(self, ean: str, store: str | None = None) -> StockCard | None:
        return next(
            (c for c in self.cards.values() if c.ean == ean and (store is None or c.store == store)), None
        )

    def add_card(
        self,
        code: str,
        name: str,
        *,
        store: str = DEFAULT_STORE,
        count: Decimal = ZERO,
        purchasing_price: Decimal | None = None,
        selling_price: Decimal | None = None,
        rate_vat: str = "high",
        ean: str = "",
        unit: str = "ks",
        ext_id: ExtId | None = None,
    ) -> StockCard:
        """Create a stock card; POHODA refuses a second card with the same code in one store."""
        if (store, code) in self._by_code:
            raise BooksError(105, f"Zásoba s kódem {code} již na skladu {store} existuje.", value=code)
        if store not in self.stores:
            raise BooksError(108, f"Sklad {store} neexistuje.", value=store)
        card = StockCard(
            id=self._next_card,
            code=code,
            name=name,
            store=store,
            changed_at=self.tick(),
            ean=ean,
            unit=unit,
            rate_vat=rate_vat,
            purchasing_price=purchasing_price,
            selling_price=selling_price,
            count=count,
            ext_id=ext_id,
        )
        self._next_card += 1
        self.cards[card.id] = card
        self._by_code[(store, code)] = card.id
        return card

    def touch(self, card: StockCard) -> None:
        card.changed_at = self.tick()

    def set_stock(
        self,
        code: str,
        count: Decimal,
        *,
        store: str = DEFAULT_STORE,
        purchasing_price: Decimal | None = None,
        name: str | None = None,
    ) -> StockCard:
        """Set a card's quantity on hand (a stock-taking); creates the card when it is new."""
        card = self.card(code, store)
        if card is None:
            return self.add_card(
                code, name or code, store=store, count=count, purchasing_price=purchasing_price
            )
        card.count = count
        if purchasing_price is not None:
            card.purchasing_price = purchasing_price
        self.touch(card)
        return card

    def generate_cards(self, count: int, *, prefix: str = "GEN-", store: str = DEFAULT_STORE) -> int:
        """Fill the store with ``count`` cards (for the demo and the benchmark); the number made."""
        start = len(self.cards)
        for i in range(start, start + count):
            self.add_card(
                f"{prefix}{i:07d}",
                f"Zboží č. {i}",
                store=store,
                count=Decimal(i % 97),
                purchasing_price=Decimal(10 + i % 500) + Decimal("0.50"),
                selling_price=Decimal(20 + i % 900),
            )
        return count

    # -- received orders -------------------------------------------------------------------------
    def next_number(self, series: str) -> str:
        """The next number of a numerical series: prefix, two digits of the year, a counter."""
        counter = self._series_counters.get(series, 0) + 1
        self._series_counters[series] = counter
        return f"{series}{self.year % 100:02d}{counter:04d}"

    def new_item_id(self) -> int:
        item_id = self._next_item
        self._next_item += 1
        return item_id

    def order_by_ext_id(self, ext_id: ExtId) -> ReceivedOrder | None:
        order_id = self._orders_by_ext.get(ext_id)
        return self.orders.get(order_id) if order_id is not None else None

    def add_order(self, order: ReceivedOrder) -> ReceivedOrder:
        """Store a new received order (``order.id`` is assigned here) and move its stock."""
        if order.ext_id is not None and self.order_by_ext_id(order.ext_id) is not None:
            raise BooksError(
                116,
                f"Záznam s externím identifikátorem {order.ext_id.ids} již existuje.",
                value=order.ext_id.ids,
            )
        order.id = self._next_order
        self._next_order += 1
        order.changed_at = self.tick()
        self.orders[order.id] = order
        if order.ext_id is not None:
            self._orders_by_ext[order.ext_id] = order.id
        for item, card in self._stock_rows(order):
            card.count_received_orders += item.quantity
            if order.is_reserved:
                card.reservation += item.quantity
            self.touch(card)
        return order

    def _stock_rows(self, order: ReceivedOrder) -> Iterable[tuple[OrderItem, StockCard]]:
        for item in order.items:
            card = self.cards.get(item.card_id) if item.card_id is not None else None
            if card is not None:
                yield item, card

    def delete_order(self, order_id: int) -> ReceivedOrder:
        """Delete an untouched order; a settled or invoiced one is refused as POHODA refuses it."""
        order = self.orders.get(order_id)
        if order is None:
            raise BooksError(108, f"Objednávka s ID {order_id} nebyla nalezena.", value=str(order_id))
        if order.invoice_id is not None or order.is_executed:
            raise BooksError(
                121,
                f"Objednávku {order.number} nelze smazat: je vyřízená nebo provázaná s fakturou.",
                value=order.number,
            )
        for item, card in self._stock_rows(order):
            card.count_received_orders -= item.quantity
            if order.is_reserved:
                card.reservation -= item.quantity
            self.touch(card)
        del self.orders[order_id]
        if order.ext_id is not None:
            self._orders_by_ext.pop(order.ext_id, None)
        return order

    def _issue_goods(self, order: ReceivedOrder) -> None:
        """The goods leave the store: count down, reservation and ordered quantities released."""
        if order.issued:
            return
        order.issued = True
        for item, card in self._stock_rows(order):
            card.count -= item.quantity
            card.count_received_orders -= item.quantity
            if order.is_reserved:
                card.reservation -= item.quantity
            self.touch(card)

    def settle(
        self,
        order_id: int,
        *,
        tracking_number: str = "",
        carrier: str | None = None,
        parameter: str = DEFAULT_TRACKING_PARAMETER,
    ) -> ReceivedOrder:
        """The accountant marks the order settled (Vyřízeno) and types the tracking number."""
        order = self.orders.get(order_id)
        if order is None:
            raise BooksError(108, f"Objednávka s ID {order_id} nebyla nalezena.")
        order.is_executed = True
        if carrier is not None:
            order.carrier = carrier
        if tracking_number:
            order.parameters[parameter] = tracking_number
        self._issue_goods(order)
        order.changed_at = self.tick()
        return order

    # -- issued invoices -------------------------------------------------------------------------
    def invoice_by_ext_id(self, ext_id: ExtId) -> IssuedInvoice | None:
        return next((i for i in self.invoices.values() if i.ext_id == ext_id), None)

    def invoice_order(
        self, order_id: int, *, ext_id: ExtId | None, sym_var: str = "", text: str = "", series: str = "FV"
    ) -> IssuedInvoice:
        """Transfer a whole received order to an issued invoice (linked, goods issued)."""
        order = self.orders.get(order_id)
        if order is None:
            raise BooksError(108, f"Zdrojový doklad s ID {order_id} nebyl nalezen.", value=str(order_id))
        if order.invoice_id is not None:
            raise BooksError(
                122, f"Objednávka {order.number} již byla přenesena do faktury.", value=order.number
            )
        if ext_id is not None and self.invoice_by_ext_id(ext_id) is not None:
            raise BooksError(116, f"Záznam s externím identifikátorem {ext_id.ids} již existuje.")
        invoice = IssuedInvoice(
            id=self._next_invoice,
            number=self.next_number(series),
            date=self._clock().date(),
            changed_at=self.tick(),
            order_id=order_id,
            ext_id=ext_id,
            sym_var=sym_var,
            text=text or f"Fakturujeme Vám objednávku {order.number_order or order.number}",
        )
        self._next_invoice += 1
        self.invoices[invoice.id] = invoice
        order.invoice_id = invoice.id
        self._issue_goods(order)
        order.changed_at = self.tick()
        return invoice
