"""Price lists: the list, and the bulk price change whose ``buyPrice`` is the purchase price."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

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


def routes(state: State) -> list[ControllerRouterHandler]:
    """The price-list routes over ``state``."""

    @get("/api/pricelists", sync_to_thread=False)
    def list_pricelists(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "pricelists")) is not None:
            return refused
        return envelope(200, {"pricelists": [{"id": p.id, "name": p.name} for p in state.pricelists]})

    @patch("/api/pricelists/{pricelist_id:int}")
    async def change_prices(  # noqa: PLR0911 (one answer per documented failure)
        request: AnyRequest, pricelist_id: FromPath[int]
    ) -> Response[bytes]:
        if (refused := authorize(request, state, "pricelists")) is not None:
            return refused
        ids = [p.id for p in state.pricelists]
        if pricelist_id not in ids:
            return error(404, "pricelist-not-found", f"Price list {pricelist_id} does not exist.", "id")
        body = await json_body(request)
        rows = body.get("data") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            return invalid("Request data must be a non-empty list of rows.")
        if len(rows) > MAX_ROWS:
            return error(413, "too-many-items", f"At most {MAX_ROWS} rows may be sent at once.", "data")
        errors: list[dict[str, str]] = []
        for index, row in enumerate(rows):
            price = row.get("price") if isinstance(row, dict) else None
            if (
                not isinstance(row, dict)
                or not isinstance(row.get("code"), str)
                or not isinstance(price, dict)
            ):
                return invalid("Each row needs a code and a price object.", f"data[{index}]")
            code = row["code"]
            found = state.variant(code)
            if found is None:
                errors.append(
                    error_item("unknown-product", f'Product "{code}" does not exist. Skipped.', code)
                )
                continue
            if "buyPrice" in price:
                # Shoptet keeps buyPrice on the default price list only.
                if pricelist_id != ids[0]:
                    errors.append(
                        error_item(
                            "invalid-request-data", "buyPrice is only on the default price list.", code
                        )
                    )
                    continue
                try:
                    found[1].buy_price = (
                        None if price["buyPrice"] is None else Decimal(str(price["buyPrice"]))
                    )
                except InvalidOperation:
                    return invalid("buyPrice must be a decimal string.", f"data[{index}].price.buyPrice")
        if len(errors) == len(rows):
            return envelope(400, None, errors)
        return envelope(200, None, errors or None)

    return [list_pricelists, change_prices]
