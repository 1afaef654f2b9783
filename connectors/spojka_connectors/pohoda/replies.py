"""Reading ``rsp:responsePack``: pack-level refusals become errors, items become per-record replies.

A pack POHODA refused as a whole (``state="error"`` on the pack) raises an error whose message
tells the merchant what to fix; an item refused alone is an :class:`ItemReply` with ``ok=False``
and its ``rdc:importDetails``, turned into words by :func:`item_message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from spojka.connector.errors import ConfigError, ConnectorError, FatalError, RetriableError
from spojka_connectors.pohoda.xmlns import NS, q, text_of


@dataclass(frozen=True, slots=True)
class Detail:
    """One ``rdc:detail``: ok, warning or error, with POHODA's number, note, XPath and value."""

    state: str
    errno: str
    note: str
    xpath: str
    value: str

    def words(self) -> str:
        where = _where(self.xpath)
        extra = [
            f"error {self.errno}" if self.errno else "",
            where,
            f"value “{self.value}”" if self.value else "",
        ]
        context = ", ".join(x for x in extra if x)
        note = self.note.rstrip(". ")
        return f"{note} ({context})" if context else note


@dataclass(frozen=True, slots=True)
class ItemReply:
    """One ``rsp:responsePackItem``."""

    id: str
    ok: bool
    note: str = ""
    details: tuple[Detail, ...] = ()
    produced_id: str = ""
    produced_number: str = ""
    #: With batch duplicity checking: the record made by an earlier import of this item.
    duplicate_of: tuple[str, str] | None = None
    #: The agenda reply (``lStk:listStock``, ``lst:listOrder``, ``ord:orderResponse``...).
    body: etree._Element | None = field(default=None, compare=False)

    @property
    def errors(self) -> list[Detail]:
        return [d for d in self.details if d.state == "error"]

    @property
    def warnings(self) -> list[Detail]:
        return [d for d in self.details if d.state == "warning"]


#: POHODA's element names in the words a merchant knows them by.
_FIELD_WORDS = {
    "stockItem": "stock item",
    "extId": "external id",
    "paymentType": "payment type",
    "carrier": "carrier",
    "partnerIdentity": "customer",
    "numberOrder": "order number",
    "rateVAT": "VAT rate",
    "sourceDocument": "source order",
}


def _where(xpath: str) -> str:
    """A readable place from POHODA's XPath: ``item 2, stockItem`` instead of the whole path."""
    if not xpath:
        return ""
    parts = [p for p in xpath.split("/") if p and not p.startswith(("dat:", "typ:ids"))]
    words = []
    for part in parts:
        name = part.split(":")[-1]
        if name.startswith("orderItem"):
            index = name[len("orderItem") :].strip("[]") or "1"
            words.append(f"item {index}")
        elif name not in ("order", "orderDetail", "orderHeader", "invoice", "stock", "stockHeader"):
            word = _FIELD_WORDS.get(name, name)
            if not words or words[-1] != word:
                words.append(word)
    return "at " + ", ".join(words) if words else ""


def read_pack(root: etree._Element) -> dict[str, ItemReply]:
    """Item id → reply; raises when POHODA refused the whole pack."""
    if root.tag != q("rsp:responsePack"):
        raise RetriableError("The mServer answered with something other than a POHODA response pack.")
    if root.get("state") == "error":
        raise pack_error(root.get("note", ""))
    replies = {}
    for item in root.iterfind("rsp:responsePackItem", NS):
        replies[item.get("id", "")] = _item(item)
    return replies


def _item(item: etree._Element) -> ItemReply:
    body = item[0] if len(item) else None
    if body is not None and etree.QName(body).localname.startswith("list") and item.get("state") == "ok":
        # A list reply: its records are read by the caller; looking for import details would
        # walk thousands of children for nothing. A refused list has no records, only its details.
        return ItemReply(
            id=item.get("id", ""), ok=item.get("state") == "ok", note=item.get("note", ""), body=body
        )
    details = tuple(
        Detail(
            state=text_of(d, "rdc:state"),
            errno=text_of(d, "rdc:errno"),
            note=text_of(d, "rdc:note"),
            xpath=text_of(d, "rdc:XPath"),
            value=text_of(d, "rdc:valueRequested"),
        )
        for d in item.iterfind("*/rdc:importDetails/rdc:detail", NS)
    )
    duplicity = item.find("rsp:errorDetail/rsp:recordDuplicity", NS)
    return ItemReply(
        id=item.get("id", ""),
        ok=item.get("state") == "ok",
        note=item.get("note", ""),
        details=details,
        produced_id=text_of(body, "rdc:producedDetails/rdc:id"),
        produced_number=text_of(body, "rdc:producedDetails/rdc:number"),
        duplicate_of=(
            (text_of(duplicity, "rsp:id"), text_of(duplicity, "rsp:number"))
            if duplicity is not None
            else None
        ),
        body=body,
    )


def pack_error(note: str) -> ConnectorError:
    """The error a pack-level refusal stands for, with what the merchant should do about it."""
    said = f" POHODA said: “{note}”" if note else ""
    lowered = note.lower()
    if "oprávněn importovat" in lowered or "opravnen importovat" in lowered:
        return FatalError(
            "The POHODA user Spojka connects as may not import XML. In POHODA, give the user the right "
            "to XML import (Přístupová práva → Soubor → Databáze → XML import), then run again." + said
        )
    if "ičo" in lowered:
        return ConfigError(
            "POHODA refused the data: the IČO in the connection settings is not the IČO of the company "
            "open in the mServer. Correct the IČO, or open the right company in the mServer." + said
        )
    if "licenc" in lowered:
        return FatalError(
            "All POHODA licences are in use, so the mServer cannot work right now. Close POHODA on a "
            "computer that does not need it, or add a licence; the next run tries again." + said
        )
    if "databáz" in lowered:
        return FatalError(
            "POHODA cannot open the company's database. Check that the company (účetní jednotka) is "
            "available and not being converted or archived in POHODA." + said
        )
    if "xsd" in lowered or "schéma" in lowered:
        return FatalError(
            "POHODA refused Spojka's data as malformed. This is Spojka's fault: contact support with the "
            "run's details." + said
        )
    return FatalError("POHODA refused the whole request." + (said or " It gave no reason."))


def item_message(what: str, reply: ItemReply) -> str:
    """``what`` (e.g. "order 2024000001") refused, in a merchant's words, with POHODA's own."""
    errors = reply.errors or [d for d in reply.details if d.state != "ok"]
    reasons = "; ".join(d.words() for d in errors) or reply.note or "no reason given"
    hint = ""
    if any(d.errno == "108" and "stockItem" in d.xpath for d in errors):
        hint = (
            " Create the stock card in POHODA (or run the products flow), or correct the code in the e-shop."
        )
    return f"POHODA refused {what}: {reasons}.{hint}"


def warning_words(reply: ItemReply) -> str:
    """POHODA's warnings about an imported record, or ``""``."""
    warnings = reply.warnings
    return " POHODA warns: " + "; ".join(d.words() for d in warnings) + "." if warnings else ""
