"""Products: the list with its change-time filter, and the detail with variants and price-list prices."""

from __future__ import annotations

from litestar import Response, get
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.dates import parse_shoptet
from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope, error, invalid, page
from spojka_connectors.shoptet.simulator.render import product_detail, product_summary
from spojka_connectors.shoptet.simulator.state import State


def routes(state: State) -> list[ControllerRouterHandler]:
    """The product routes over ``state``."""

    @get("/api/products", sync_to_thread=False)
    def list_products(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "products")) is not None:
            return refused
        products = list(state.products.values())
        for name, lower in (("changeTimeFrom", True), ("changeTimeTo", False)):
            raw = request.query_params.get(name)
            if raw is None:
                continue
            try:
                bound = parse_shoptet(raw)
            except ValueError:
                return invalid(
                    f"Parameter {name} must be a date-time like 2024-01-08T10:00:00+0100.", "query"
                )
            products = [p for p in products if (p.change_time >= bound if lower else p.change_time <= bound)]
        items = [product_summary(p) for p in products]
        return envelope(200, page(request, "products", items, state.products_per_page))

    @get("/api/products/{guid:str}", sync_to_thread=False)
    def get_product(request: AnyRequest, guid: FromPath[str]) -> Response[bytes]:
        if (refused := authorize(request, state, "products")) is not None:
            return refused
        product = state.products.get(guid)
        if product is None:
            return error(404, "product-not-found", f'Product "{guid}" not found.', "guid")
        include = set(filter(None, request.query_params.get("include", "").split(",")))
        return envelope(200, product_detail(state, product, include))

    return [list_products, get_product]
