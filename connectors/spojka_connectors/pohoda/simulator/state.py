"""The simulated mServer: its configuration, the company it serves, injected faults, and a log.

:class:`State` is what tests change between requests (a plain dataclass: a test fixture resets it
field by field). :class:`Faults` holds what the control API injects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

from spojka_connectors.pohoda.simulator.books import Books

DEFAULT_USERNAME: Final = "Spojka"
DEFAULT_PASSWORD: Final = "simulované-heslo"  # noqa: S105 (simulator only)

PackFault = Literal["no_rights", "licence_busy", "cannot_open_database"]

#: The pack-level notes POHODA writes (errno 555, 551 and 553 of its processing details).
PACK_FAULT_NOTES: Final[dict[str, str]] = {
    "no_rights": "Uživatel není oprávněn importovat XML soubory.",
    "licence_busy": "Nelze zpracovat: všechny licence programu POHODA jsou právě obsazeny.",
    "cannot_open_database": "Nelze otevřít databázi účetní jednotky.",
}
#: POHODA's note when the user may not see an agenda (errno 101 of its processing details).
NO_RIGHTS_NOTE: Final = "Uživatel nemá dostatečná práva."


def _this_year() -> str:
    return str(datetime.now(tz=UTC).year)


@dataclass(slots=True)
class Faults:
    """Misbehaviour on demand. Counts are consumed one request (or record) at a time."""

    #: Seconds each imported document takes to process (POHODA is slow on purpose here).
    latency_per_document: float = 0.0
    #: Seconds each exported record (a stock card, an order) takes in a list request.
    latency_per_record: float = 0.0
    #: A pack-level refusal for every ``/xml`` request until cleared.
    pack_error: PackFault | None = None
    #: Record key (order extId ``ids``, stock code) → (errno, note): that record fails once.
    record_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: List request name (``listPaymentRequest``...) → (errno, note): refused until cleared, as when
    #: the user has no right to see the agenda.
    list_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: The next N ``/xml`` requests that import documents are committed, then the connection dropped.
    drop_after_commit: int = 0
    #: The next N ``/xml`` requests are answered 503 without processing.
    unavailable: int = 0


@dataclass(slots=True)
class ReceivedPack:
    """One ``/xml`` request as it arrived (kept so tests can check every pack against the XSDs)."""

    body: bytes
    valid: bool
    error: str = ""


@dataclass(slots=True)
class State:
    """The simulated POHODA with its mServer. Tests change it between requests."""

    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    mserver_name: str = "spojka-sim"
    company: str = "Simulovaná účetní jednotka s.r.o."
    ico: str = "12345678"
    year: str = field(default_factory=_this_year)
    database_name: str | None = None
    processing: int = 0
    user_may_open_company: bool = True
    available: bool = True
    program_version: str = "13907.6 SQL (12.3.2025)"
    books: Books = field(default_factory=Books)
    faults: Faults = field(default_factory=Faults)
    received: list[ReceivedPack] = field(default_factory=list)
    #: Keep at most this many received packs (the benchmark sends thousands).
    keep_received: int = 10_000
    #: (dataPack id, dataPackItem id) → (agenda, record id, number): the batch duplicity check.
    imported_items: dict[tuple[str, str], tuple[str, int, str]] = field(default_factory=dict)

    @property
    def database(self) -> str:
        """The database name; by default POHODA's ``StwPh_<IČO>_<year>``."""
        return self.database_name or f"StwPh_{self.ico}_{self.year}"

    def record(self, pack: ReceivedPack) -> None:
        self.received.append(pack)
        if len(self.received) > self.keep_received:
            del self.received[: len(self.received) - self.keep_received]
