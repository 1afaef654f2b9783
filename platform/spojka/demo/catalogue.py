"""The demo shop's catalogue, and the same goods as stock cards in the demo accounting company.

One item, the gift voucher, is sold by the shop but has no stock card in accounting at first:
orders with it fail in POHODA with POHODA's own message, which is how a merchant sees a failure in
the dashboard. After a while the accountant creates the card (:func:`add_missing_cards`) and the
failed orders go through on the next run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from spojka_connectors.pohoda.simulator import Books
from spojka_connectors.shoptet.simulator import SimVariant
from spojka_connectors.shoptet.simulator import State as ShopState

_CENT = Decimal("0.01")
POHODA_RATE = {Decimal(21): "high", Decimal(12): "low", Decimal(0): "none"}
VOUCHER_CODE = "POUKAZ-500"


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    code: str
    price: Decimal
    vat_rate: Decimal
    sizes: tuple[str, ...] = ()
    in_accounting: bool = True

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f"{self.code}-{size}" for size in self.sizes) or (self.code,)


CATALOGUE = (
    Item("Hrnek smaltovaný 350 ml", "HRN-SMALT", Decimal("249.00"), Decimal(21)),
    Item("Tričko bavlněné Spojka", "TRI-SPOJKA", Decimal("399.00"), Decimal(21), ("S", "M", "L", "XL")),
    Item("Káva zrnková Brazílie 1 kg", "KAV-BRA-1KG", Decimal("689.00"), Decimal(12)),
    Item("Čaj zelený sypaný 100 g", "CAJ-ZEL-100", Decimal("129.00"), Decimal(12)),
    Item("Kniha: Babička", "KNI-BABICKA", Decimal("299.00"), Decimal(0)),
    Item("Termoska nerezová 0,5 l", "TER-NEREZ-05", Decimal("549.00"), Decimal(21)),
    Item("Med lesní 500 g", "MED-LES-500", Decimal("219.00"), Decimal(12)),
    Item("Dárkový poukaz 500 Kč", VOUCHER_CODE, Decimal("500.00"), Decimal(21), in_accounting=False),
)


def stock_shop(shop: ShopState, rng: random.Random) -> None:
    """Put the catalogue on sale in the shop (its stock comes from accounting once linked)."""
    for item in CATALOGUE:
        variants = [
            SimVariant(
                code=code,
                price=item.price,
                vat_rate=item.vat_rate,
                ean=f"859{rng.randrange(10**9, 10**10)}",
                name=code.rsplit("-", 1)[1] if item.sizes else None,
                stock=Decimal(0),
            )
            for code in item.codes
        ]
        shop.add_product(item.name, variants)


def stock_books(books: Books, rng: random.Random) -> None:
    """The stock cards of everything but the voucher, with quantities and purchase prices."""
    for item in CATALOGUE:
        if item.in_accounting:
            _add_cards(books, item, rng)


def add_missing_cards(books: Books, rng: random.Random) -> list[str]:
    """The accountant creates the cards that were missing; their codes."""
    added: list[str] = []
    for item in CATALOGUE:
        if not item.in_accounting and books.card(item.codes[0]) is None:
            _add_cards(books, item, rng)
            added.extend(item.codes)
    return added


def _add_cards(books: Books, item: Item, rng: random.Random) -> None:
    for code in item.codes:
        books.add_card(
            code,
            item.name,
            count=Decimal(rng.randrange(20, 120)),
            selling_price=item.price,
            purchasing_price=(item.price * Decimal("0.55")).quantize(_CENT),
            rate_vat=POHODA_RATE[item.vat_rate],
        )
