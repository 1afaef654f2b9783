"""The connector SDK's testing kit.

- :mod:`~spojka.connector.testing.memory`: an in-memory e-shop and accounting system, and the
  ``memory-shop`` / ``memory-books`` connectors that talk to them (tests, demos, benchmarks);
- :mod:`~spojka.connector.testing.factories`: seeded builders of realistic canonical objects;
- :mod:`~spojka.connector.testing.checks`: the model rules the types do not enforce (aware
  datetimes, Decimal amounts, JSON round trip);
- :mod:`~spojka.connector.testing.contract`: the contract suite every connector must pass. It
  imports pytest, so it is not imported here: ``from spojka.connector.testing.contract import ...``.
"""

from spojka.connector.testing.checks import decode_model, model_problems, require_valid
from spojka.connector.testing.factories import Factory, sellable_codes, totals_of
from spojka.connector.testing.memory import (
    BOOKS_SPEC,
    SHOP_SPEC,
    SIGNATURE_HEADER,
    SYSTEMS,
    ChangeLog,
    MemoryBooks,
    MemoryBooksConnector,
    MemoryBooksSession,
    MemoryShop,
    MemoryShopConnector,
    MemoryShopSession,
    MemorySystem,
    StoredInvoice,
    StoredOrder,
    memory_books,
    memory_shop,
    reset_systems,
)

__all__ = (
    "BOOKS_SPEC",
    "SHOP_SPEC",
    "SIGNATURE_HEADER",
    "SYSTEMS",
    "ChangeLog",
    "Factory",
    "MemoryBooks",
    "MemoryBooksConnector",
    "MemoryBooksSession",
    "MemoryShop",
    "MemoryShopConnector",
    "MemoryShopSession",
    "MemorySystem",
    "StoredInvoice",
    "StoredOrder",
    "decode_model",
    "memory_books",
    "memory_shop",
    "model_problems",
    "require_valid",
    "reset_systems",
    "sellable_codes",
    "totals_of",
)
