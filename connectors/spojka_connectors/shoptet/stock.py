"""Stock levels and purchase prices, in Shoptet's bulk calls of at most 300 rows.

- Stock: ``PATCH /api/stocks/{stockId}/movements`` with ``quantity`` (what can be ordered) or
  ``realStock`` (physical; Shoptet subtracts its own open orders), as the link's settings say.
- Purchase prices: ``PATCH /api/pricelists/{id}`` with ``price.buyPrice`` on the default price list
  (Shoptet keeps ``buyPrice`` there only).

A partly failed batch answers 200 with an error per skipped row (``instance`` names the code), an
all-failed one 400: either way each row's fate becomes that record's :class:`WriteResult`; an unknown
code is ``missing`` (another shop sharing the warehouse sells it), a product set is ``failed``.
Batches go one after another: Shoptet answers 423 to the same write URL called twice at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from spojka.connector.capabilities import WriteResult
from spojka.connector.model import StockLevel, money
from spojka_connectors.shoptet.client import ApiError, ShoptetClient, ShoptetResponse
from spojka_connectors.shoptet.spec import StockField

BATCH: Final = 300
_QUOTED: Final = re.compile(r'"([^"]+)"')

Row = Callable[[StockLevel], dict[str, Any] | None]


def stock_row(field: StockField) -> Row:
    """The movement row for a level under the link's rule (``None``: nothing to write)."""

    def row(level: StockLevel) -> dict[str, Any]:
        if field == "realStock":
            value = level.on_hand
        else:
            value = level.available if level.available is not None else level.on_hand - level.reserved
        return {"productCode": level.code, field: value}

    return row


def price_row(level: StockLevel) -> dict[str, Any] | None:
    if level.purchase_price is None:
        return None
    return {"code": level.code, "price": {"buyPrice": f"{money(level.purchase_price):.2f}"}}


def _code_of(error: ApiError, codes: set[str]) -> str | None:
    """The code a row error is about: its ``instance``, else the code quoted in its message."""
    if error.instance in codes:
        return error.instance
    for quoted in _QUOTED.findall(error.message):
        if quoted in codes:
            return str(quoted)
    return None


def _results(response: ShoptetResponse, codes: list[str], api: ShoptetClient) -> dict[str, WriteResult]:
    known = set(codes)
    results: dict[str, WriteResult] = {}
    unattributed: list[str] = []
    for error in response.errors:
        code = _code_of(error, known)
        message = api.scrub(error.message) or error.error_code
        if code is None:
            unattributed.append(message)
            continue
        if error.error_code == "unknown-product":
            results[code] = WriteResult(key=code, outcome="missing", message=message)
        else:
            results[code] = WriteResult(key=code, outcome="failed", message=f"{error.error_code}: {message}")
    if response.status in (200, 201) and not unattributed:
        for code in codes:
            results.setdefault(code, WriteResult(key=code, outcome="updated", target_id=code))
        return results
    # A refusal of the whole batch (413, 422, 5xx...): every row not already explained failed with it.
    reason = "; ".join(unattributed) or f"HTTP {response.status}"
    retriable = response.status in (423, 429) or response.status >= 500
    for code in codes:
        results.setdefault(
            code,
            WriteResult(
                key=code, outcome="failed", message=f"Shoptet refused: {reason}", retriable=retriable
            ),
        )
    return results


async def write_rows(
    api: ShoptetClient, path: str, levels: Sequence[StockLevel], row: Row, skipped: str
) -> list[WriteResult]:
    """Write one row per level in batches; one result per level, in the levels' order."""
    results: dict[str, WriteResult] = {}
    rows: dict[str, dict[str, Any]] = {}
    for level in levels:
        made = row(level)
        if made is None:
            results[level.code] = WriteResult(key=level.code, outcome="unchanged", message=skipped)
        else:
            rows[level.code] = made  # a code given twice: the last level wins, as it would in order
    codes = list(rows)
    for start in range(0, len(codes), BATCH):
        batch = codes[start : start + BATCH]
        # Row errors come back as 200 (some rows) or 400 (all rows): both are read row by row.
        response = await api.call("PATCH", path, body=[rows[c] for c in batch], ok=range(200, 600))
        results.update(_results(response, batch, api))
    return [results[level.code] for level in levels]
