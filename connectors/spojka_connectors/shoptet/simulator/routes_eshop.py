"""The e-shop's own information (``GET /api/eshop``), as the connection check reads it."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.types import ControllerRouterHandler

from spojka_connectors.shoptet.simulator.auth import authorize
from spojka_connectors.shoptet.simulator.protocol import AnyRequest, envelope
from spojka_connectors.shoptet.simulator.state import SimPricelist, State


def _rate(vat_rate: str) -> dict[str, str]:
    return {"zone": "Default Zone", "vatRate": vat_rate}


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
            {"title": "Základní sazba", "rates": [_rate("21.00")], "isDefault": True},
            {"title": "Snížená sazba", "rates": [_rate("12.00")], "isDefault": False},
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


def routes(state: State) -> list[ControllerRouterHandler]:
    """The e-shop route over ``state``."""

    @get("/api/eshop", sync_to_thread=False)
    def get_eshop(request: AnyRequest) -> Response[bytes]:
        return authorize(request, state, "eshop") or envelope(200, eshop_info(state))

    return [get_eshop]
