"""POHODA's XML namespaces and small lxml helpers shared by the connector and its simulator."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

from lxml import etree

_BASE: Final = "http://www.stormware.cz/schema/version_2/"
NS: Final[dict[str, str]] = {
    "dat": _BASE + "data.xsd",
    "rsp": _BASE + "response.xsd",
    "rdc": _BASE + "documentresponse.xsd",
    "typ": _BASE + "type.xsd",
    "ftr": _BASE + "filter.xsd",
    "ord": _BASE + "order.xsd",
    "inv": _BASE + "invoice.xsd",
    "stk": _BASE + "stock.xsd",
    "lst": _BASE + "list.xsd",
    "lStk": _BASE + "list_stock.xsd",
    "sto": _BASE + "store.xsd",
    "pay": _BASE + "payment.xsd",
    "nms": _BASE + "numericalSeries.xsd",
}
CODEPAGE: Final = "cp1250"
#: POHODA keeps local (Czech) time without an offset.
POHODA_TZ: Final = ZoneInfo("Europe/Prague")
#: VAT rate codes of POHODA and their percentages in the Czech Republic (2024 onwards).
RATE_PERCENT: Final[dict[str, Decimal]] = {
    "none": Decimal(0),
    "low": Decimal(12),
    "high": Decimal(21),
    "third": Decimal(0),
}


def q(name: str) -> str:
    """``"ord:order"`` → Clark notation ``{namespace}order``."""
    prefix, _, local = name.partition(":")
    return f"{{{NS[prefix]}}}{local}"


@cache
def clark(path: str) -> str:
    """A prefixed path (``ord:orderHeader/typ:ids``) in Clark notation, which lxml finds 3x faster."""
    return "/".join(q(step) if ":" in step else step for step in path.split("/"))


def sub(parent: etree._Element, name: str, text: str | None = None, **attrib: str) -> etree._Element:
    """Append a child ``prefix:name`` (with text and unqualified attributes) and return it."""
    child = etree.SubElement(parent, q(name), attrib)
    if text is not None:
        child.text = text
    return child


def element(name: str, **attrib: str) -> etree._Element:
    """A new root element with every POHODA prefix declared (as mServer replies declare them)."""
    return etree.Element(q(name), attrib, nsmap=NS)


def text_of(parent: etree._Element | None, path: str) -> str:
    """Stripped text at ``path`` (prefixed XPath relative to ``parent``), or ``""``."""
    if parent is None:
        return ""
    found = parent.find(clark(path))
    return (found.text or "").strip() if found is not None else ""


def decimal_of(parent: etree._Element | None, path: str, default: Decimal | None = None) -> Decimal | None:
    """The number at ``path`` as a Decimal, or ``default`` when absent or not a number."""
    raw = text_of(parent, path)
    if not raw:
        return default
    try:
        return Decimal(raw)
    except InvalidOperation:
        return default


def fmt_decimal(value: Decimal) -> str:
    """A Decimal as POHODA writes numbers: plain notation, no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def to_local(moment: datetime) -> datetime:
    """An aware time as POHODA's naive local time."""
    return moment.astimezone(POHODA_TZ).replace(tzinfo=None)


def fmt_datetime(moment: datetime) -> str:
    """``xsd:dateTime`` in POHODA's local time, with microseconds so no change is lost between ticks."""
    return to_local(moment).isoformat(timespec="microseconds")


def parse_datetime(value: str) -> datetime:
    """An ``xsd:dateTime`` from POHODA (naive: local time; with an offset: as given), made aware."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=POHODA_TZ) if parsed.tzinfo is None else parsed


def serialize(root: etree._Element) -> bytes:
    """The document as mServer sends it: Windows-1250 with the XML declaration."""
    # lxml writes the declaration with single quotes; mServer writes double ones.
    body: bytes = etree.tostring(root, encoding="Windows-1250", xml_declaration=False)
    return b'<?xml version="1.0" encoding="Windows-1250"?>\n' + body


def parse_document(body: bytes) -> etree._Element:
    """Parse a POHODA document without network access, DTDs or entity expansion (raises on junk)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    return etree.fromstring(body, parser)
