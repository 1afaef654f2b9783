"""Payment and shipping methods (``GET /api/payment-methods``, ``GET /api/shipping-methods``).

Both lists are unpaged ("it always returns all methods at once"). The simulated e-shop has no sales
channels module, so a ``salesChannelGuid`` filter gets the documented 403 ``missing-module``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Response, get
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope, error
from spojka_connectors.shoptet.simulator.state import SimPaymentMethod, SimShippingMethod, State


def payment_method(method: SimPaymentMethod, priority: int) -> dict[str, Any]:
    type_id, type_code, type_name = method.payment_type
    return {
        "guid": method.guid,
        "name": method.name,
        "description": method.description,
        "submethod": None,
        "paymentType": {"id": type_id, "code": type_code, "name": type_name},
        "visible": method.visible,
        "priority": priority,
        "wholesale": method.wholesale,
        "logoUrl": None,
    }


def shipping_method(method: SimShippingMethod, priority: int) -> dict[str, Any]:
    company = None
    if method.company is not None:
        company_id, code, name = method.company
        company = {"id": company_id, "code": code, "name": name}
    return {
        "guid": method.guid,
        "name": method.name,
        "description": method.description,
        "shippingCompany": company,
        "trackingUrl": method.tracking_url,
        "visible": method.visible,
        "priority": priority,
        "wholesale": method.wholesale,
        "logoUrl": None,
    }


def _default(methods: Sequence[SimPaymentMethod | SimShippingMethod]) -> str | None:
    return next((m.guid for m in methods if m.visible), None)


def _no_sales_channels(request: AnyRequest) -> Response[bytes] | None:
    if request.query_params.get("salesChannelGuid") is None:
        return None
    return error(403, "missing-module", 'Module "Sales channel" is not active.', "salesChannel")


def _listing(
    key: str, rendered: list[dict[str, Any]], methods: Sequence[SimPaymentMethod | SimShippingMethod]
) -> Response[bytes]:
    """The answer of both method lists: the methods under ``key``, retail only (no wholesale)."""
    return envelope(
        200,
        {
            key: rendered,
            "wholesaleActive": False,
            "wholesaleSplitActive": False,
            "defaultRetailMethod": _default(methods),
            "defaultWholesaleMethod": None,
        },
    )


def routes(state: State) -> list[ControllerRouterHandler]:
    """The method routes over ``state``."""

    @get("/api/payment-methods", sync_to_thread=False)
    def list_payment_methods(request: AnyRequest) -> Response[bytes]:
        if (
            refused := authorize(request, state, "payment-methods") or _no_sales_channels(request)
        ) is not None:
            return refused
        methods = list(state.payment_methods)
        return _listing("paymentMethods", [payment_method(m, i) for i, m in enumerate(methods, 1)], methods)

    @get("/api/shipping-methods", sync_to_thread=False)
    def list_shipping_methods(request: AnyRequest) -> Response[bytes]:
        if (
            refused := authorize(request, state, "shipping-methods") or _no_sales_channels(request)
        ) is not None:
            return refused
        methods = list(state.shipping_methods)
        return _listing("shippingMethods", [shipping_method(m, i) for i, m in enumerate(methods, 1)], methods)

    return [list_payment_methods, list_shipping_methods]
