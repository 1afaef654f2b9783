"""Incremental reads: what changed since a cursor and up to ``until``, in a fixed order.

Shoptet stamps changes in whole seconds, and lists are not sorted by change. So a read first
collects the (change time, key) of everything changed in the window (cheap: codes and times only),
sorts it, and then reads details page by page. A cursor is the second of the last change handed out
and the keys handed out of that second: reading from it gives exactly the rest, so a read resumes
where the engine stored, and a record changed again later (in a later second) is read again.

Orders come from ``GET /api/orders/changes?from=`` (Shoptet keeps 30 days of it) or, for a first read
or an older cursor, from the order list with ``changeTimeFrom``/``changeTimeTo``. Nothing changed after
``until`` is handed out: a change in the same second as ``until`` but after it has a stamp at or
before ``until`` and is read now, with its details as they are when read, never skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

import msgspec

from spojka.connector import FatalError
from spojka_connectors.shoptet import wire
from spojka_connectors.shoptet.client import ShoptetClient
from spojka_connectors.shoptet.dates import format_shoptet, parse_shoptet

#: The changes log is guaranteed for 30 days; older cursors fall back to the list.
CHANGES_WINDOW: Final = timedelta(days=29)
#: The most each list gives per page, as documented.
ORDERS_PER_PAGE: Final = 50
CHANGES_PER_PAGE: Final = 1000
PRODUCTS_PER_PAGE: Final = 1000

Page = TypeVar("Page", bound=wire.Wire)


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A record's place in a read: its change time (UTC, whole seconds) and its key."""

    time: datetime
    key: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a read stopped: everything changed before ``time`` was handed out, and of what changed
    in that very second, the records in ``seen``. (Keys within one second are not in change order,
    so the second's keys handed out are kept rather than the last one.)"""

    time: datetime
    seen: frozenset[str]

    def after(self, position: Position) -> bool:
        """Whether ``position`` is still to be read."""
        return position.time > self.time or (position.time == self.time and position.key not in self.seen)

    def encode(self, stream: str) -> str:
        return f"{stream}:v1:{self.time.isoformat()}|{json.dumps(sorted(self.seen), separators=(',', ':'))}"

    @classmethod
    def decode(cls, stream: str, cursor: str | None) -> Cursor | None:
        """The cursor of ``stream``; :class:`FatalError` for anyone else's cursor."""
        if cursor is None:
            return None
        prefix = f"{stream}:v1:"
        time_text, sep, keys = cursor.removeprefix(prefix).partition("|")
        try:
            seen = json.loads(keys) if sep else None
            if not cursor.startswith(prefix) or not isinstance(seen, list):
                raise ValueError(cursor)
            return cls(datetime.fromisoformat(time_text).astimezone(UTC), frozenset(str(k) for k in seen))
        except ValueError:
            raise FatalError(
                f"The stored position {cursor!r} was not written by the Shoptet connector's "
                f"{stream} read; reset the flow's position to read again from the start."
            ) from None


def pages(positions: list[Position], since: Cursor | None, size: int) -> list[tuple[list[Position], Cursor]]:
    """``positions`` (in order) in pages of ``size``, each with the cursor that resumes after it."""
    result: list[tuple[list[Position], Cursor]] = []
    seen_time = since.time if since is not None else None
    seen: set[str] = set(since.seen) if since is not None else set()
    for start in range(0, len(positions), size):
        chunk = positions[start : start + size]
        for position in chunk:
            if position.time != seen_time:
                seen_time, seen = position.time, set()
            seen.add(position.key)
        assert seen_time is not None
        result.append((chunk, Cursor(seen_time, frozenset(seen))))
    return result


async def _all_pages(
    api: ShoptetClient,
    path: str,
    params: dict[str, str | int],
    page_type: type[Page],
    what: str,
) -> list[Page]:
    """Every page of a paged list."""
    pages: list[Page] = []
    number = 1
    while True:
        response = await api.call("GET", path, params={**params, "page": number})
        try:
            page = msgspec.convert(response.data, page_type)
        except msgspec.ValidationError as exc:
            raise FatalError(f"Shoptet answered the {what} list in an unexpected shape: {exc}") from None
        pages.append(page)
        paginator: wire.Paginator | None = getattr(page, "paginator", None)
        if paginator is None or number >= paginator.page_count:
            return pages
        number += 1


def _window(positions: list[Position], since: Cursor | None, until: datetime) -> list[Position]:
    """The latest position per key, after ``since`` and not after ``until``, in order."""
    latest: dict[str, Position] = {}
    for position in positions:
        if position.time > until or (since is not None and not since.after(position)):
            continue
        if position.key not in latest or latest[position.key] < position:
            latest[position.key] = position
    return sorted(latest.values())


def _time(text: str | None) -> datetime | None:
    return parse_shoptet(text) if text else None


async def changed_orders(api: ShoptetClient, since: Cursor | None, until: datetime) -> list[Position]:
    """Orders changed after ``since`` and by ``until``, in (change time, code) order."""
    positions: list[Position] = []
    if since is not None and since.time > datetime.now(UTC) - CHANGES_WINDOW:
        params: dict[str, str | int] = {"from": format_shoptet(since.time), "itemsPerPage": CHANGES_PER_PAGE}
        for changes in await _all_pages(
            api, "/api/orders/changes", params, wire.ChangesPage, "order changes"
        ):
            for change in changes.changes:
                when = _time(change.change_time)
                # A deleted order cannot be read; accounting keeps what it had.
                if when is not None and change.change_type != "delete":
                    positions.append(Position(when, change.code))
    else:
        params = {"changeTimeTo": format_shoptet(until), "itemsPerPage": ORDERS_PER_PAGE}
        if since is not None:
            params["changeTimeFrom"] = format_shoptet(since.time)
        for orders in await _all_pages(api, "/api/orders", params, wire.OrdersPage, "order"):
            for ref in orders.orders:
                when = _time(ref.change_time)
                if when is not None:
                    positions.append(Position(when, ref.code))
    return _window(positions, since, until)


async def changed_products(api: ShoptetClient, since: Cursor | None, until: datetime) -> list[Position]:
    """Products changed after ``since`` and by ``until``, in (change time, GUID) order."""
    params: dict[str, str | int] = {"changeTimeTo": format_shoptet(until), "itemsPerPage": PRODUCTS_PER_PAGE}
    if since is not None:
        params["changeTimeFrom"] = format_shoptet(since.time)
    positions = [
        Position(when, ref.guid)
        for products in await _all_pages(api, "/api/products", params, wire.ProductsPage, "product")
        for ref in products.products
        if (when := _time(ref.change_time)) is not None
    ]
    return _window(positions, since, until)
