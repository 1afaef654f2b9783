"""The ``dat:dataPack`` envelope, with ids derived from what it carries.

POHODA checks batch duplicity by ``dataPack@id`` + ``dataPackItem@id`` (with
``STW-Check-Duplicity``), so both are deterministic: the same documents sent again carry the same
ids, and POHODA answers with the record it made the first time instead of a twin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from spojka_connectors.pohoda.xmlns import element, serialize, sub

_MAX_ID: Final = 64


@dataclass(frozen=True, slots=True)
class PackItem:
    """One ``dataPackItem``: its id and its agenda element."""

    id: str
    element: etree._Element


def short_id(prefix: str, key: str) -> str:
    """``prefix-key`` when it fits POHODA's 64 characters, else ``prefix-<hash>``."""
    candidate = f"{prefix}-{key}"
    if len(candidate) <= _MAX_ID:
        return candidate
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def pack_id(purpose: str, items: Sequence[PackItem]) -> str:
    """A pack id that depends only on the purpose and the items it carries, content included.

    The content counts so that a changed document (a new price on a stock card) is a new batch
    that POHODA imports, while the very same documents sent again are recognised as a repeat.
    """
    digest = hashlib.sha256()
    for item in items:
        digest.update(item.id.encode())
        digest.update(etree.tostring(item.element))
    hashed = digest.hexdigest()[:32]
    return f"spojka-{purpose[: _MAX_ID - len(hashed) - 8]}-{hashed}"


def data_pack(*, ico: str, application: str, purpose: str, note: str, items: Sequence[PackItem]) -> bytes:
    """The request body: the envelope around ``items``, Windows-1250 encoded."""
    root = element(
        "dat:dataPack",
        version="2.0",
        id=pack_id(purpose, items),
        ico=ico,
        application=application[:100],
        note=note,
    )
    for item in items:
        sub(root, "dat:dataPackItem", version="2.0", id=item.id).append(item.element)
    return serialize(root)
