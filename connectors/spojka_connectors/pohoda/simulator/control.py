"""The simulator's control API, under ``/_simulator`` (never part of the mServer's own paths).

The same actions exist as Python methods (:class:`~spojka_connectors.pohoda.simulator.books.Books`
and :class:`~spojka_connectors.pohoda.simulator.state.Faults`); these routes let the demo and other
processes act as the accountant or break things:

- ``GET /_simulator/state``: counts, and whether requests are validated against the XSDs.
- ``PUT /_simulator/stock/{code}`` ``{"count": "12", "store"?, "purchasePrice"?}``: set stock.
- ``POST /_simulator/stock/generate`` ``{"count": 100000, "prefix"?, "store"?}``: fill the store.
- ``POST /_simulator/orders/{id}/settle`` ``{"trackingNumber"?, "carrier"?, "parameter"?}``.
- ``PUT /_simulator/faults`` ``{"latencyPerDocument"?, "latencyPerRecord"?, "packError"?,
  "recordErrors"?: {key: {"errno", "note"}}, "listErrors"?: {"listPaymentRequest": {"errno", "note"}},
  "dropAfterCommit"?, "unavailable"?}``;
  ``DELETE /_simulator/faults`` clears them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, Literal

import msgspec
from litestar import Router, delete, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from spojka_connectors.pohoda.simulator.books import DEFAULT_STORE, DEFAULT_TRACKING_PARAMETER, BooksError
from spojka_connectors.pohoda.simulator.schemas import Schemas
from spojka_connectors.pohoda.simulator.state import Faults, State

PREFIX: Final = "/_simulator"


class StockInput(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    count: Decimal
    store: str = DEFAULT_STORE
    purchase_price: Decimal | None = None
    name: str | None = None


class GenerateInput(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    count: int
    prefix: str = "GEN-"
    store: str = DEFAULT_STORE


class SettleInput(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    tracking_number: str = ""
    carrier: str | None = None
    parameter: str = DEFAULT_TRACKING_PARAMETER


class RecordErrorInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    errno: int
    note: str


class FaultsInput(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    latency_per_document: float | None = None
    latency_per_record: float | None = None
    pack_error: Literal["no_rights", "licence_busy", "cannot_open_database"] | None = None
    record_errors: dict[str, RecordErrorInput] = msgspec.field(default_factory=dict)
    list_errors: dict[str, RecordErrorInput] = msgspec.field(default_factory=dict)
    drop_after_commit: int | None = None
    unavailable: int | None = None


def summary(state: State, schemas: Schemas) -> dict[str, Any]:
    """What ``GET /_simulator/state`` answers."""
    books = state.books
    return {
        "company": state.company,
        "ico": state.ico,
        "validating": schemas.available,
        "validation": schemas.note,
        "stores": sorted(books.stores),
        "paymentForms": [f.name for f in books.payment_forms.values()],
        "numberSeries": [f"{s.prefix} ({s.agenda})" for s in books.series.values()],
        "stockCards": len(books.cards),
        "receivedOrders": len(books.orders),
        "issuedInvoices": len(books.invoices),
        "receivedPacks": len(state.received),
        "invalidPacks": sum(1 for p in state.received if not p.valid),
    }


def control_router(state: State, schemas: Schemas) -> Router:
    """The control routes over ``state``."""

    @get("/state", sync_to_thread=False)
    def read_state() -> dict[str, Any]:
        return summary(state, schemas)

    @put("/stock/{code:str}", sync_to_thread=False)
    def set_stock(code: FromPath[str], data: JSONBody[StockInput]) -> dict[str, Any]:
        try:
            card = state.books.set_stock(
                code, data.count, store=data.store, purchasing_price=data.purchase_price, name=data.name
            )
        except BooksError as exc:
            raise NotFoundException(exc.note) from None
        return {"id": card.id, "code": card.code, "store": card.store, "count": str(card.count)}

    @post("/stock/generate", sync_to_thread=False)
    def generate(data: JSONBody[GenerateInput]) -> dict[str, Any]:
        made = state.books.generate_cards(data.count, prefix=data.prefix, store=data.store)
        return {"made": made, "stockCards": len(state.books.cards)}

    @post("/orders/{order_id:int}/settle", sync_to_thread=False)
    def settle(order_id: FromPath[int], data: JSONBody[SettleInput]) -> dict[str, Any]:
        try:
            order = state.books.settle(
                order_id, tracking_number=data.tracking_number, carrier=data.carrier, parameter=data.parameter
            )
        except BooksError as exc:
            raise NotFoundException(exc.note) from None
        return {"id": order.id, "number": order.number, "isExecuted": order.is_executed}

    @put("/faults", sync_to_thread=False)
    def set_faults(data: JSONBody[FaultsInput]) -> dict[str, Any]:
        faults = state.faults
        for name in ("latency_per_document", "latency_per_record", "drop_after_commit", "unavailable"):
            value = getattr(data, name)
            if value is not None:
                setattr(faults, name, value)
        faults.pack_error = data.pack_error
        for key, error in data.record_errors.items():
            faults.record_errors[key] = (error.errno, error.note)
        for key, error in data.list_errors.items():
            faults.list_errors[key] = (error.errno, error.note)
        return msgspec.to_builtins(faults)  # type: ignore[no-any-return]

    @delete("/faults", sync_to_thread=False)
    def clear_faults() -> None:
        state.faults = Faults()

    return Router(
        path=PREFIX, route_handlers=[read_state, set_stock, generate, settle, set_faults, clear_faults]
    )
