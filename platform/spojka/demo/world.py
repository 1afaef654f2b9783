"""The demo's simulated world: a Shoptet e-shop and a POHODA company, kept across restarts, with
customers ordering and an accountant settling orders.

The demo is a composition root, like the tests and the benchmarks: it puts two particular
simulators together. The engine and the API never import it; they know connectors only through
the SDK.

Both simulated systems are saved under ``VAR_DIR/demo/`` every few seconds and when the demo
stops, so a restarted demo goes on with the same shop and the same books: nothing the platform
transferred is lost, and nothing is transferred twice. (The files are pickles this process wrote
itself; nothing else is ever read from them.)
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from spojka.connector.simulation import serving
from spojka.demo import catalogue, people
from spojka_connectors.pohoda.simulator import State as BooksState
from spojka_connectors.pohoda.simulator import build_app as build_books
from spojka_connectors.pohoda.simulator.schemas import load_schemas
from spojka_connectors.shoptet.simulator import State as ShopState
from spojka_connectors.shoptet.simulator import build_app as build_shop
from spojka_connectors.shoptet.simulator import deliver_pending
from spojka_connectors.shoptet.simulator.state import SimAddress

log = logging.getLogger(__name__)

CANCELLED_STATUS = -4
#: (name, price with VAT) of the shipping and payment methods customers choose from.
SHIPPING = (("PPL", Decimal("99.00")), ("Zásilkovna", Decimal("79.00")), ("Osobní odběr", Decimal(0)))
PAYMENT = (("Bankovní převod", Decimal(0)), ("Dobírka", Decimal("39.00")), ("Platba kartou", Decimal(0)))
CARRIER_PREFIX = {"PPL": "PPL", "Zásilkovna": "Z", "Osobní odběr": ""}


@dataclass
class Pace:
    """Seconds between the world's events (the demo's default is lively, tests make it faster)."""

    order: tuple[float, float] = (5.0, 11.0)
    change: tuple[float, float] = (20.0, 40.0)
    settle: tuple[float, float] = (10.0, 20.0)
    restock: tuple[float, float] = (45.0, 90.0)
    #: After this long, the accountant creates the stock card that was missing.
    missing_card_after: float = 240.0

    def faster(self, speed: float) -> Pace:
        """The same world, ``speed`` times as busy."""

        def scaled(span: tuple[float, float]) -> tuple[float, float]:
            return (span[0] / speed, span[1] / speed)

        return Pace(
            order=scaled(self.order),
            change=scaled(self.change),
            settle=scaled(self.settle),
            restock=scaled(self.restock),
            missing_card_after=self.missing_card_after / speed,
        )


@dataclass
class World:
    """The two simulated systems and what happens in them."""

    shop: ShopState
    books: BooksState
    directory: Path
    rng: random.Random = field(default_factory=random.Random)
    started: float = field(default_factory=time.monotonic)
    _due: dict[str, float] = field(default_factory=dict)
    #: Digest of each system's last save, to skip writing one that has not changed.
    _saved: dict[str, bytes] = field(default_factory=dict)

    # -- keeping ----------------------------------------------------------------------------------
    @classmethod
    def load_or_create(cls, directory: Path, seed: int = 2026) -> World:
        """The saved world under ``directory``, or a new one with the demo catalogue."""
        directory.mkdir(parents=True, exist_ok=True)
        shop_file, books_file = directory / "shoptet.pickle", directory / "pohoda.pickle"
        if shop_file.exists() and books_file.exists():
            shop = pickle.loads(shop_file.read_bytes())  # noqa: S301 (written by this program)
            books = pickle.loads(books_file.read_bytes())  # noqa: S301
            world = cls(shop, books, directory, random.Random(seed + len(shop.orders)))  # noqa: S311 (demo data)
            log.info("demo world resumed: %d orders in the shop", len(shop.orders))
            return world
        rng = random.Random(seed)  # noqa: S311 (demo data)
        shop, books = ShopState(), BooksState()
        shop.eshop_name = "Demo obchod (simulovaný Shoptet)"
        books.company = "Demo účetní jednotka s.r.o. (simulovaná POHODA)"
        catalogue.stock_shop(shop, rng)
        catalogue.stock_books(books.books, rng)
        world = cls(shop, books, directory, rng)
        world.save()
        return world

    def save(self) -> None:
        """Write both systems atomically (a crash mid-write leaves the previous save); a system
        that has not changed since the last save is not written again."""
        for name, state in (("shoptet", self.shop), ("pohoda", self.books)):
            data = _snapshot(state)
            digest = hashlib.sha256(data).digest()
            if self._saved.get(name) == digest:
                continue
            target = self.directory / f"{name}.pickle"
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(temporary).replace(target)
            self._saved[name] = digest

    @contextlib.contextmanager
    def serving(self, shop_port: int, books_port: int, host: str = "127.0.0.1") -> Iterator[tuple[str, str]]:
        """Both simulators on fixed ports (the connections the demo stores name them)."""
        with (
            serving(build_shop(self.shop), host=host, port=shop_port) as shop_url,
            serving(build_books(self.books, load_schemas()), host=host, port=books_port) as books_url,
        ):
            yield shop_url, books_url

    # -- events -----------------------------------------------------------------------------------
    def due(self, event: str, every: tuple[float, float]) -> bool:
        """Whether ``event`` is due now; if so, when it is due next."""
        now = time.monotonic()
        if now < self._due.get(event, 0.0):
            return False
        self._due[event] = now + self.rng.uniform(*every)
        return True

    async def step(self, pace: Pace) -> list[str]:
        """Whatever is due now; what happened, in words (for the log)."""
        happened: list[str] = []
        if self.due("order", pace.order):
            happened.append(self.place_order())
        if self.due("change", pace.change) and (change := self.change_an_order()):
            happened.append(change)
        if self.due("settle", pace.settle) and (settled := self.settle_an_order()):
            happened.append(settled)
        if self.due("restock", pace.restock):
            happened.append(self.restock())
        if time.monotonic() - self.started > pace.missing_card_after:
            added = catalogue.add_missing_cards(self.books.books, self.rng)
            if added:
                happened.append(f"accountant created the missing stock cards {', '.join(added)}")
        if self.shop.outbox and self.shop.webhooks:
            await deliver_pending(self.shop)
        return happened

    def place_order(self) -> str:
        """A customer orders one to three items."""
        buyer = people.customer(self.rng)
        codes = [v.code for p in self.shop.products.values() for v in p.variants]
        regular = [c for c in codes if c != catalogue.VOUCHER_CODE]
        picks = self.rng.sample(regular, k=self.rng.randint(1, 3))
        if self.rng.random() < 0.08:
            picks.append(catalogue.VOUCHER_CODE)
        lines = [(code, Decimal(self.rng.choice((1, 1, 1, 2, 3)))) for code in picks]
        address = SimAddress(
            full_name=buyer.full_name,
            street=buyer.street,
            city=buyer.city,
            zip=buyer.zip_code,
            company=buyer.company,
            company_id=buyer.company_id,
            vat_id=buyer.vat_id,
        )
        payment = self.rng.choice(PAYMENT)
        order = self.shop.add_order(
            lines,
            billing=address,
            delivery=address,
            email=buyer.email,
            phone=buyer.phone,
            shipping=self.rng.choice(SHIPPING),
            payment=payment,
            paid=payment[0] == "Platba kartou",
        )
        return f"order {order.code} from {buyer.company or buyer.full_name} ({buyer.city})"

    def change_an_order(self) -> str | None:
        """A customer pays an order by transfer, or (now and then) cancels one."""
        open_orders = [o for o in self.shop.orders.values() if o.status_id not in (CANCELLED_STATUS, -3)]
        if not open_orders:
            return None
        order = self.rng.choice(open_orders)
        if self.rng.random() < 0.15:
            self.shop.change_order(order.code, status_id=CANCELLED_STATUS)
            return f"order {order.code} cancelled by the customer"
        if not order.paid:
            self.shop.change_order(order.code, paid=True)
            return f"order {order.code} paid"
        return None

    def settle_an_order(self) -> str | None:
        """The accountant ships a received order and types its tracking number."""
        waiting = [o for o in self.books.books.orders.values() if not o.is_executed]
        if not waiting:
            return None
        order = self.rng.choice(waiting)
        shop_order = self.shop.orders.get(order.number_order)
        carrier = shop_order.shipping[1] if shop_order and shop_order.shipping else "PPL"
        prefix = CARRIER_PREFIX.get(carrier, "")
        tracking = f"{prefix}{self.rng.randrange(10**9, 10**10)}" if prefix else ""
        self.books.books.settle(order.id, tracking_number=tracking, carrier=carrier)
        return f"POHODA order {order.number} settled ({carrier} {tracking})".rstrip()

    def restock(self) -> str:
        """Goods arrive at the warehouse."""
        card = self.rng.choice(list(self.books.books.cards.values()))
        amount = Decimal(self.rng.randrange(10, 40))
        self.books.books.set_stock(card.code, card.count + amount)
        return f"{amount} pcs of {card.code} received into the warehouse"


def _snapshot(state: object, attempts: int = 5) -> bytes:
    """``state`` pickled while its simulator keeps serving in another thread: a change in the middle
    of pickling ("changed size during iteration") is simply pickled again."""
    for _ in range(attempts - 1):
        try:
            return pickle.dumps(state)
        except RuntimeError:
            time.sleep(0.01)
    return pickle.dumps(state)
