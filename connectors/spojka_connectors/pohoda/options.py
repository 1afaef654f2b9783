"""``options.read``: the POHODA choices behind a link's settings, from one data pack of list requests.

Each ``Option.value`` is exactly what the connector writes into a received order (see
:mod:`.documents`) or reads back as a stock level's warehouse (see :mod:`.lists`):

- Warehouses: ``lst:listStoreRequest`` (store.xsd, the Sklady agenda). The value is the store's
  ``sto:name``, its abbreviation (string10): what ``ord:stockItem/typ:store/typ:ids`` and the stock
  filter ``ftr:store/typ:ids`` name, and the first level of a card's ``stk:storage`` that
  ``StockLevel.warehouse`` is read from.
- Number series: ``lst:listNumericalSeriesRequest`` (numericalSeries.xsd) filtered to the agenda
  ``prijate_objednavky`` (received orders) of the current accounting period. The older
  ``listNumericSeriesRequest`` cannot list them: its ``lst:agendaType`` knows cash, bank, invoices
  and accounting agendas only. The value is the series' ``nms:prefix``: ``ord:number/typ:ids`` is
  "Prefix číselné řady" (type.xsd ``numberType``).
- Payment types: ``lst:listPaymentRequest`` (payment.xsd, the Formy úhrady agenda). The value is the
  form's ``pay:name`` (string32), which ``ord:paymentType/typ:ids`` (string32) names. A form meant
  for sales receipts only (``useInOtherAgendas`` false) is left out: POHODA does not offer it on
  orders. (``listAccountingFormOfPaymentRequest`` lists how the forms are posted, not the forms.)
- Carriers: list.xsd has no list request for the Dopravci list, so ``shipping_methods`` is empty
  (the link's shipping map takes the carrier's abbreviation as typed).
- VAT rates: POHODA's fixed ``rateVAT`` codes (type.xsd ``vatRateEnum``) the connector writes.
- Order statuses: empty, because the connector writes no status (received orders carry none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from lxml import etree

from spojka.connector.capabilities import Option, RemoteOptions
from spojka.connector.errors import FatalError
from spojka_connectors.pohoda.pack import PackItem
from spojka_connectors.pohoda.replies import ItemReply
from spojka_connectors.pohoda.xmlns import NS, q, sub, text_of

#: The number series agenda of received orders (filter.xsd ``CRadyAgendaType``).
ORDER_SERIES_AGENDA: Final = "prijate_objednavky"

#: POHODA's VAT rate codes (``ord:rateVAT``) that :func:`.documents.rate_code` accepts, with the
#: Czech rates (2024 onwards). ``third`` is left out: type.xsd marks it "pouze SK verze" (the
#: Slovak POHODA), and the Czech second reduced rate it once stood for ended in 2023.
VAT_RATES: Final = (
    Option(value="high", label="21 % (základní)"),
    Option(value="low", label="12 % (snížená)"),
    Option(value="none", label="0 % (bez DPH)"),
)

STORES: Final = "opt-stores"
SERIES: Final = "opt-series"
PAYMENTS: Final = "opt-payments"

#: Item id → what the list is, in the words of the error message and POHODA's menu.
_WHAT: Final[dict[str, tuple[str, str]]] = {
    STORES: ("stores", "Sklady"),
    SERIES: ("number series", "Číselné řady"),
    PAYMENTS: ("forms of payment", "Formy úhrady"),
}


def requests() -> list[PackItem]:
    """The list requests of one ``options.read``: stores, series of received orders, payments."""
    stores = etree.Element(q("lst:listStoreRequest"), version="2.0", storeVersion="2.0")
    sub(stores, "lst:requestStore")
    series = etree.Element(q("lst:listNumericalSeriesRequest"), version="2.0", numericalSeriesVersion="2.0")
    series_filter = sub(sub(series, "lst:requestNumericalSeries"), "ftr:filter")
    sub(series_filter, "ftr:period", "current")
    sub(series_filter, "ftr:agenda", ORDER_SERIES_AGENDA)
    payments = etree.Element(q("lst:listPaymentRequest"), version="2.0", paymentVersion="2.0")
    sub(payments, "lst:requestPayment")
    return [PackItem(STORES, stores), PackItem(SERIES, series), PackItem(PAYMENTS, payments)]


def remote_options(replies: Mapping[str, ItemReply]) -> RemoteOptions:
    """The lists from the replies to :func:`requests`; :class:`FatalError` when POHODA refused one."""
    for item_id in (STORES, SERIES, PAYMENTS):
        reply = replies[item_id]
        if not reply.ok:
            raise refused(item_id, reply)
    return RemoteOptions(
        warehouses=_unique(read_stores(replies[STORES].body)),
        number_series=_unique(read_series(replies[SERIES].body)),
        payment_methods=_unique(read_payments(replies[PAYMENTS].body)),
        vat_rates=VAT_RATES,
    )


def refused(item_id: str, reply: ItemReply) -> FatalError:
    """A list POHODA would not give, in plain words, with what to do about it."""
    what, agenda = _WHAT[item_id]
    reasons = "; ".join(d.words() for d in reply.errors) or reply.note.rstrip(". ") or "it gave no reason"
    return FatalError(
        f"POHODA would not list its {what} ({agenda}): {reasons}. Give the POHODA user Spojka connects as "
        f"the right to see the agenda {agenda} (Přístupová práva), then open the link's settings again."
    )


def read_stores(listing: etree._Element | None) -> list[Option]:
    """The stores of a ``lst:listStore`` reply: value the abbreviation, label with the description."""
    options = []
    for store in _records(listing, "lst:store"):
        name = text_of(store, "sto:name")
        if name:
            options.append(Option(value=name, label=_label(name, text_of(store, "sto:text"))))
    return options


def read_series(listing: etree._Element | None) -> list[Option]:
    """The number series of received orders of a ``lst:listNumericalSeries`` reply, by prefix."""
    options = []
    for series in _records(listing, "lst:numericalSeries"):
        header = series.find("nms:numericalSeriesHeader", NS)
        prefix = text_of(header, "nms:prefix")
        if prefix and text_of(header, "nms:agenda") == ORDER_SERIES_AGENDA:
            options.append(Option(value=prefix, label=_label(prefix, text_of(header, "nms:name"))))
    return options


def read_payments(listing: etree._Element | None) -> list[Option]:
    """The forms of payment of a ``lst:listPayment`` reply that orders may use, by name."""
    options = []
    for payment in _records(listing, "lst:payment"):
        header = payment.find("pay:paymentHeader", NS)
        name = text_of(header, "pay:name")
        if name and text_of(header, "pay:useInOtherAgendas") != "false":
            options.append(Option(value=name, label=_label(name, text_of(header, "pay:text"))))
    return options


def _records(listing: etree._Element | None, name: str) -> Iterable[etree._Element]:
    return listing.iterfind(name, NS) if listing is not None else ()


def _label(value: str, text: str) -> str:
    return f"{value} ({text})" if text and text != value else value


def _unique(options: Iterable[Option]) -> tuple[Option, ...]:
    """The first option of each value, in POHODA's order (by record id)."""
    seen: dict[str, Option] = {}
    for option in options:
        seen.setdefault(option.value, option)
    return tuple(seen.values())
