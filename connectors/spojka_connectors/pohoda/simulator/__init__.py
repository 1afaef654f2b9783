"""A POHODA mServer simulator for tests, the demo and ``spojka simulate pohoda``.

``simulator(seed)`` gives a company with a few stock cards in the store ``ZBOŽÍ``, and the lists
every company has: stores (``ZBOŽÍ``, ``VÝPRODEJ``), forms of payment (Příkazem, Hotově, Dobírkou,
Kartou; Stravenky for sales receipts only) and number series (``OBP``, ``OP``, ``OPV`` of received
orders, ``FV``, ``OV``); the announcement tells the base URL, the settings and credentials, and the
control API's prefix.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from spojka.connector.simulation import Simulation
from spojka_connectors.pohoda.simulator.app import MServerApp, build_app, serve
from spojka_connectors.pohoda.simulator.books import DEFAULT_STORE, DEFAULT_TRACKING_PARAMETER, Books
from spojka_connectors.pohoda.simulator.control import PREFIX
from spojka_connectors.pohoda.simulator.schemas import load_schemas
from spojka_connectors.pohoda.simulator.state import DEFAULT_PASSWORD, DEFAULT_USERNAME, Faults, State

_SEED_CARDS = (
    ("HRN-0001", "Hrnek keramický 300 ml", "189", "high"),
    ("TRI-MOD-M", "Tričko modré M", "399", "high"),
    ("KAV-0003", "Káva zrnková Brazílie 1 kg", "549", "low"),
    ("KNB-0004", "Kniha: Babička (Božena Němcová)", "299", "none"),
    ("CAJ-0005", "Čaj zelený sypaný 100 g", "129", "low"),
)


def seed_cards(books: Books, seed: int) -> None:
    """A few stock cards with seeded quantities and purchase prices."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not a secret)
    for code, name, price, rate in _SEED_CARDS:
        books.add_card(
            code,
            name,
            count=Decimal(rng.randint(0, 60)),
            selling_price=Decimal(price),
            purchasing_price=(Decimal(price) * Decimal("0.55")).quantize(Decimal("0.01")),
            rate_vat=rate,
        )


def simulator(seed: int = 0) -> Simulation:
    """The ``spojka.simulators`` entry point: a simulated POHODA company behind its mServer."""
    state = State()
    seed_cards(state.books, seed)
    schemas = load_schemas()

    def connection(base_url: str) -> tuple[Mapping[str, Any], Mapping[str, str]]:
        settings = {"url": base_url, "ico": state.ico, "store": DEFAULT_STORE}
        return settings, {"username": state.username, "password": state.password}

    return Simulation(
        connector="pohoda",
        app=build_app(state, schemas),
        connection=connection,
        about={
            "control": PREFIX,
            "company": state.company,
            "stockCards": len(state.books.cards),
            "validation": schemas.note,
        },
    )


__all__ = (
    "DEFAULT_PASSWORD",
    "DEFAULT_STORE",
    "DEFAULT_TRACKING_PARAMETER",
    "DEFAULT_USERNAME",
    "Books",
    "Faults",
    "MServerApp",
    "State",
    "build_app",
    "serve",
    "simulator",
)
