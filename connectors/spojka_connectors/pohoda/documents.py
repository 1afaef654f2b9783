"""Canonical records as POHODA import documents: received orders, their deletion, invoices, stock cards.

Mapping decisions:

- An order is a received order (``receivedOrder``) whose ``extId`` is the engine's ext id under the
  connection's system name; ``numberOrder`` is the e-shop's number. Prices go as the e-shop had
  them: gross unit prices with ``payVAT=true``, so POHODA computes the same net and VAT; each row
  carries its VAT rate code (``high``/``low``/``none``, mapped from the percentage by the link's
  ``vat_rates`` or the Czech defaults) and its discount.
- Goods rows (``kind == "item"`` with a code) are linked to the stock card with that code in the
  store; shipping, payment, discount and rounding rows are text rows.
- An order in a foreign currency carries ``foreignCurrency`` prices and the rate in its summary.
- An invoice is made by transferring the whole order (``inv:links`` to the received order's id),
  so POHODA links the two and copies every row.
- A stock card is written with ``add update="true"`` filtered by code and store: created when new,
  updated otherwise.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from spojka.connector.capabilities import OrderWrite
from spojka.connector.errors import RecordError
from spojka.connector.model import Address, Order, OrderLine, Product, Variant
from spojka_connectors.pohoda.spec import PohodaSettings
from spojka_connectors.pohoda.xmlns import RATE_PERCENT, fmt_bool, fmt_decimal, q, sub, to_local

HOME_CURRENCY = "CZK"
#: Percent (as text) → POHODA's rate code, when the link maps nothing.
DEFAULT_RATES: dict[str, str] = {"21": "high", "12": "low", "0": "none"}


def _cut(text: str, length: int) -> str:
    # POHODA refuses longer values outright (the XSDs cap every text field).
    return text.strip()[:length]


def rate_code(rate: Decimal, mapping: dict[str, str]) -> str:
    """POHODA's VAT rate code for a percentage, or :class:`RecordError` saying what to map."""
    key = fmt_decimal(rate)
    code = mapping.get(key) or DEFAULT_RATES.get(key)
    if code is None or code not in RATE_PERCENT:
        raise RecordError(
            f"The VAT rate {key} % has no POHODA rate (high, low or none): map it in the link's VAT settings."
        )
    return code


# -- received orders ---------------------------------------------------------------------------------
def order_document(write: OrderWrite, cfg: PohodaSettings) -> etree._Element:
    """``ord:order`` creating the received order of ``write`` (raises :class:`RecordError`)."""
    order, options = write.order, write.options
    rates = dict(options.vat_rates)
    foreign = order.currency != HOME_CURRENCY
    root = etree.Element(q("ord:order"), version="2.0")
    header = sub(root, "ord:orderHeader")
    ext = sub(header, "ord:extId")
    sub(ext, "typ:ids", write.ext_id)
    sub(ext, "typ:exSystemName", cfg.ext_system)
    sub(ext, "typ:exSystemText", _cut(f"Objednávka {order.number} z e-shopu", 255))
    sub(header, "ord:orderType", "receivedOrder")
    series = options.number_series or cfg.order_series
    if series:
        sub(sub(header, "ord:number"), "typ:ids", series)
    sub(header, "ord:numberOrder", _cut(order.number, 32))
    sub(header, "ord:date", to_local(order.created_at).date().isoformat())
    sub(header, "ord:text", _cut(f"Objednávka z e-shopu č. {order.number}", 240))
    identity = sub(header, "ord:partnerIdentity")
    _address(sub(identity, "typ:address"), order.billing_address, order)
    if order.delivery_address is not None:
        _address(sub(identity, "typ:shipToAddress"), order.delivery_address, None)
    payment = options.payment_type or (cfg.payment_types.get(order.payment.code) if order.payment else None)
    if payment:
        # typ:paymentType/ids is string32: a form of payment (Forma úhrady) by its name.
        sub(sub(header, "ord:paymentType"), "typ:ids", _cut(payment, 32))
    sub(header, "ord:isReserved", fmt_bool(options.reserve_stock))
    carrier = options.carrier or (cfg.carriers.get(order.shipping.code) if order.shipping else None)
    if carrier:
        sub(sub(header, "ord:carrier"), "typ:ids", _cut(carrier, 20))
    if order.note:
        sub(header, "ord:note", order.note)
    sub(header, "ord:intNote", f"Spojka: objednávka {order.number} z e-shopu, externí id {write.ext_id}.")
    detail = sub(root, "ord:orderDetail")
    store = options.warehouse or cfg.store
    for index, line in enumerate(order.lines, start=1):
        _order_item(sub(detail, "ord:orderItem"), line, index, write.ext_id, rates, store, foreign)
    summary = sub(root, "ord:orderSummary")
    sub(summary, "ord:roundingDocument", "none")
    if foreign:
        currency = sub(summary, "ord:foreignCurrency")
        sub(sub(currency, "typ:currency"), "typ:ids", order.currency)
        sub(currency, "typ:rate", fmt_decimal(order.exchange_rate))
        sub(currency, "typ:amount", "1")
    return root


def _address(parent: etree._Element, address: Address, order: Order | None) -> None:
    customer = order.customer if order is not None else None
    values = (
        ("company", _cut(address.company or (customer.company if customer else ""), 255)),
        ("name", _cut(address.name or (customer.name if customer else ""), 64)),
        ("city", _cut(address.city, 45)),
        ("street", _cut(address.street, 64)),
        ("zip", _cut(address.zip, 15)),
        ("ico", _cut(address.company_id or (customer.company_id if customer else ""), 15)),
        ("dic", _cut(address.vat_id or (customer.vat_id if customer else ""), 18)),
    )
    for name, value in values:
        if value:
            sub(parent, f"typ:{name}", value)
    if address.country:
        sub(sub(parent, "typ:country"), "typ:ids", address.country)
    phone = address.phone or (customer.phone if customer else "")
    email = address.email or (customer.email if customer else "")
    if phone:
        sub(parent, "typ:phone", _cut(phone, 40))
    if email:
        sub(parent, "typ:email", _cut(email, 98))


def _order_item(
    row: etree._Element,
    line: OrderLine,
    index: int,
    ext_id: str,
    rates: dict[str, str],
    store: str,
    foreign: bool,
) -> None:
    sub(row, "ord:extId", _cut(f"{ext_id}-{line.source_id or index}", 64))
    sub(row, "ord:text", _cut(line.name, 90))
    sub(row, "ord:quantity", fmt_decimal(line.quantity))
    if line.unit:
        sub(row, "ord:unit", _cut(line.unit, 10))
    sub(row, "ord:payVAT", "true")
    sub(row, "ord:rateVAT", rate_code(line.vat_rate, rates))
    if line.discount_percent:
        sub(row, "ord:discountPercentage", fmt_decimal(line.discount_percent))
    price = sub(row, "ord:foreignCurrency" if foreign else "ord:homeCurrency")
    sub(price, "typ:unitPrice", fmt_decimal(line.unit_price_gross))
    if line.kind == "item" and line.code:
        sub(row, "ord:code", _cut(line.code, 64))
        stock = sub(row, "ord:stockItem")
        sub(sub(stock, "typ:store"), "typ:ids", store)
        sub(sub(stock, "typ:stockItem"), "typ:ids", _cut(line.code, 64))


def delete_order_document(target_id: str) -> etree._Element:
    """``ord:order`` deleting the received order with POHODA id ``target_id``."""
    root = etree.Element(q("ord:order"), version="2.0")
    action = sub(sub(root, "ord:actionType"), "ord:delete")
    sub(sub(action, "ftr:filter", agenda="prijate_objednavky"), "ftr:id", target_id)
    return root


# -- issued invoices -----------------------------------------------------------------------------
def invoice_document(order_target_id: str, write: OrderWrite, cfg: PohodaSettings) -> etree._Element:
    """``inv:invoice`` transferring the whole received order ``order_target_id`` (linked to it)."""
    order = write.order
    root = etree.Element(q("inv:invoice"), version="2.0")
    link = sub(sub(root, "inv:links"), "typ:link")
    sub(link, "typ:sourceAgenda", "receivedOrder")
    sub(sub(link, "typ:sourceDocument"), "typ:id", order_target_id)
    header = sub(root, "inv:invoiceHeader")
    ext = sub(header, "inv:extId")
    sub(ext, "typ:ids", write.ext_id)
    sub(ext, "typ:exSystemName", cfg.ext_system)
    sub(header, "inv:invoiceType", "issuedInvoice")
    if cfg.invoice_series:
        sub(sub(header, "inv:number"), "typ:ids", cfg.invoice_series)
    digits = "".join(ch for ch in order.number if ch.isdigit())
    if digits:
        # The variable symbol is how the customer's payment is matched: the e-shop's order number.
        sub(header, "inv:symVar", digits[-10:])
    sub(header, "inv:text", _cut(f"Fakturujeme Vám objednávku č. {order.number}", 240))
    sub(header, "inv:numberOrder", _cut(order.number, 32))
    return root


# -- stock cards ---------------------------------------------------------------------------------
def sellable_items(product: Product) -> tuple[Product | Variant, ...]:
    """The stock cards a product needs: one per variant, or the product itself."""
    return product.variants or (product,)


def stock_document(item: Product | Variant, cfg: PohodaSettings) -> etree._Element:
    """``stk:stock`` creating or updating the card with ``item``'s code in the store."""
    root = etree.Element(q("stk:stock"), version="2.0")
    add = sub(sub(root, "stk:actionType"), "stk:add", update="true")
    found_by = sub(add, "ftr:filter")
    sub(found_by, "ftr:code", _cut(item.code, 64))
    sub(sub(found_by, "ftr:store"), "typ:ids", cfg.store)
    header = sub(root, "stk:stockHeader")
    sub(header, "stk:stockType", "card")
    sub(header, "stk:code", _cut(item.code, 64))
    if item.ean:
        sub(header, "stk:EAN", _cut(item.ean, 20))
    rate = rate_code(item.vat_rate, {})
    sub(header, "stk:purchasingRateVAT", rate)
    sub(header, "stk:sellingRateVAT", rate)
    sub(header, "stk:name", _cut(item.name, 90))
    if item.unit:
        sub(header, "stk:unit", _cut(item.unit, 10))
    sub(sub(header, "stk:storage"), "typ:ids", cfg.store)
    sub(sub(header, "stk:typePrice"), "typ:ids", cfg.price_group)
    if item.purchase_price is not None:
        sub(header, "stk:purchasingPrice", fmt_decimal(item.purchase_price), payVAT="false")
    if item.sale_price_gross is not None:
        sub(header, "stk:sellingPrice", fmt_decimal(item.sale_price_gross), payVAT="true")
    elif item.sale_price_net is not None:
        sub(header, "stk:sellingPrice", fmt_decimal(item.sale_price_net), payVAT="false")
    return root
