"""Stocks: the warehouse list and the bulk stock change (``PATCH /api/stocks/{stockId}/movements``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from litestar import Response, get, patch
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import (
    AnyRequest,
    envelope,
    error,
    error_item,
    invalid,
    json_body,
)
from spojka_connectors.shoptet.simulator.state import State

MAX_ROWS: Final = 300
FIELDS: Final = ("amountChange", "quantity", "realStock")


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, dict) or not isinstance(row.get("productCode"), str):
        return "Each row needs a productCode."
    given = [f for f in FIELDS if f in row]
    if len(given) != 1 or set(row) != {"productCode", given[0]}:
        return "Each row needs exactly one of amountChange, quantity and realStock."
    value = row[given[0]]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{given[0]} must be a number."
    return None


def routes(state: State) -> list[ControllerRouterHandler]:
    """The stock routes over ``state``."""

    @get("/api/stocks", sync_to_thread=False)
    def list_stocks(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "stocks")) is not None:
            return refused
        stocks = [
            {
                "id": s.id,
                "title": s.title,
                "isDeliveryPoint": s.is_delivery_point,
                "visibleOnEshop": s.visible_on_eshop,
                "deliveryPointTitle": s.title if s.is_delivery_point else None,
                "deliveryPointAddress": None,
            }
            for s in state.stocks
        ]
        return envelope(200, {"stocks": stocks, "defaultStockId": state.default_stock_id})

    @patch("/api/stocks/{stock_id:int}/movements")
    async def change_stock(  # noqa: PLR0911, PLR0912 (one answer per documented failure)
        request: AnyRequest, stock_id: FromPath[int]
    ) -> Response[bytes]:
        if (refused := authorize(request, state, "stocks")) is not None:
            return refused
        if stock_id not in {s.id for s in state.stocks}:
            return error(404, "stock-not-found", f"Stock {stock_id} does not exist.", "stockId")
        body = await json_body(request)
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            return invalid("Request data must be a non-empty list of rows.")
        if len(rows) > MAX_ROWS:
            return error(413, "too-many-items", f"At most {MAX_ROWS} rows may be sent at once.", "data")
        for index, row in enumerate(rows):
            if (problem := _row_problem(row)) is not None:
                return invalid(problem, f"data[{index}]")
        errors: list[dict[str, str]] = []
        for row in rows:
            code = row["productCode"]
            field = next(f for f in FIELDS if f in row)
            value = Decimal(str(row[field]))
            found = state.variant(code)
            if found is None:
                errors.append(
                    error_item("unknown-product", f'Product "{code}" does not exist. Skipped.', code)
                )
                continue
            product, variant = found
            if product.type == "product-set":
                errors.append(
                    error_item(
                        "stock-change-not-allowed", f'Product "{code}" is a product set. Skipped.', code
                    )
                )
                continue
            state.stock_rows.append((code, field, value))
            if field == "amountChange":
                change = value
            elif field == "realStock":
                change = value - variant.stock
            else:  # quantity: what can be ordered, i.e. real stock less what open orders claim
                change = value + variant.claim - variant.stock
            state.move(variant, change)
        if len(errors) == len(rows):
            return envelope(400, None, errors)
        return envelope(200, None, errors or None)

    return [list_stocks, change_stock]
