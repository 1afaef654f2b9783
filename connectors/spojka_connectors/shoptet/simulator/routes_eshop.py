"""The e-shop's own information (``GET /api/eshop``), as the connection check reads it.

The order statuses and the payment and shipping methods come only when asked for with ``include``
(``orderStatuses``, ``paymentMethods``, ``shippingMethods``); other sections named there are not
simulated and are left out.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope
from spojka_connectors.shoptet.simulator.state import SimPaymentMethod, SimPricelist, SimShippingMethod, State


def eshop_info(state: State) -> dict[str, Any]:
    """``data`` of ``GET /api/eshop`` without any ``include`` section."""
    default_pricelist = next(iter(state.pricelists), SimPricelist(1, "Hlavní ceník"))
    admin = state.url.rstrip("/") + "/admin"
    return {
        "contactInformation": {
            "eshopId": state.eshop_id,
            "eshopName": state.eshop_name,
            "eshopCategory": None,
            "url": state.url,
            "eshopTitle": state.eshop_name,
            "eshopSubtitle": None,
            "contactPerson": "Jana Nováková",
            "email": "info@example.cz",
            "phone": "+420777888999",
            "mobilePhone": None,
            "skypeAccount": None,
            "contactPhotoUrl": None,
        },
        "billingInformation": {
            "billingName": state.eshop_name,
            "company": {"companyId": state.company_id, "vatId": state.vat_id, "taxId": state.vat_id},
            "address": {"streetAddress": "Roháčova 15", "city": "Praha", "zip": "130 00"},
            "country": {"countryCode": "CZ", "countryName": "Czech Republic"},
            "registration": None,
            "evNumber": None,
            "phone": "+420777888999",
            "email": "info@example.cz",
            "billingEmail": None,
        },
        "settings": {
            "vatPayer": True,
            "cashDeskOnly": False,
            "trackStockClaims": True,
            "maxProductAmount": 5000,
            "maxEmailAmount": 1000,
            "defaultPricelist": {"id": default_pricelist.id, "name": default_pricelist.name},
            "eshopLanguage": "cs",
            "timezone": "Europe/Prague",
            "dateFormat": "j.n.Y",
            "timeFormat": "H:i",
            "internals": "cs",
            "exchangeRateFlip": False,
            "negativeStockAmount": "allowed",
            "oss": False,
            "stockControlDisabled": False,
            "wholesaleSplitActive": False,
        },
        "currencies": [
            {
                "code": "CZK",
                "title": "Koruna česká",
                "isDefault": True,
                "isDefaultAdmin": True,
                "isDefaultDocuments": True,
                "isVisible": True,
                "exchangeRate": "1.00000000",
                "priority": 1,
                "display": {
                    "text": "Kč",
                    "location": "right",
                    "decimalsSeparator": ",",
                    "thousandsSeparator": " ",
                },
                "priceDecimalPlaces": 2,
                "documentPriceDecimalPlaces": 2,
                "rounding": "math",
                "minimalOrderValue": None,
                "bankAccount": {
                    "accountNumber": "19-2000145399/0800",
                    "iban": "CZ6508000000192000145399",
                    "bic": "GIBACZPX",
                    "ownerName": state.eshop_name,
                },
            }
        ],
        "taxClasses": [
            {
                "title": tax.title,
                "rates": [{"zone": zone, "vatRate": rate} for zone, rate in tax.rates],
                "isDefault": tax.is_default,
            }
            for tax in state.tax_classes
        ],
        "activeModules": [{"title": "Sklady", "name": "stock"}],
        "urls": [
            {"ident": "admin-orders-list", "url": f"{admin}/prehled-objednavek/"},
            {"ident": "admin-customers-list", "url": f"{admin}/prehled-zakazniku/"},
        ],
        "socialNetworks": dict.fromkeys(
            ("facebookUrl", "facebookText", "twitterAccount", "instagramAccount")
        ),
        "trial": False,
    }


def _methods(methods: list[SimPaymentMethod] | list[SimShippingMethod], default: str) -> dict[str, Any]:
    def listed(wholesale: bool) -> dict[str, Any]:
        chosen = [m for m in methods if m.wholesale == wholesale]
        return {
            "methods": [
                {"guid": m.guid, "order": i, "name": m.name, "visible": m.visible}
                for i, m in enumerate(chosen, start=1)
            ],
            default: next((m.guid for m in chosen if m.visible), None),
        }

    return {"retail": listed(False), "wholesale": listed(True), "wholesaleActive": False}


def included(state: State, include: set[str]) -> dict[str, Any]:
    """The ``include`` sections of ``GET /api/eshop`` the simulator keeps."""
    sections: dict[str, Any] = {}
    if "orderStatuses" in include:
        sections["orderStatuses"] = {
            "statuses": [
                {"id": sid, "order": i, "name": name, "markAsPaid": paid}
                for i, (sid, name, paid) in enumerate(state.statuses, start=1)
            ],
            "defaultStatus": state.default_status_id,
        }
    if "paymentMethods" in include:
        sections["paymentMethods"] = _methods(list(state.payment_methods), "defaultPayment")
    if "shippingMethods" in include:
        sections["shippingMethods"] = _methods(list(state.shipping_methods), "defaultShipping")
    return sections


def routes(state: State) -> list[ControllerRouterHandler]:
    """The e-shop route over ``state``."""

    @get("/api/eshop", sync_to_thread=False)
    def get_eshop(request: AnyRequest) -> Response[bytes]:
        if (refused := authorize(request, state, "eshop")) is not None:
            return refused
        include = set(filter(None, request.query_params.get("include", "").split(",")))
        return envelope(200, {**eshop_info(state), **included(state, include)})

    return [get_eshop]
