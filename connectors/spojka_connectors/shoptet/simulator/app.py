"""A Shoptet API simulator over real HTTP: the documented paths, headers, envelope and error bodies.

So far it answers what the connection check reads: ``GET /api/eshop`` with every section that is sent
without ``include``, and the first page of orders, products, stocks, price lists and webhooks (empty
where the simulated e-shop has nothing yet). Later issues grow it into the full e-shop.

Authentication is the private API token (header ``Shoptet-Private-API-Token``). Each path belongs to
an endpoint group; a token whose :attr:`State.rights` lacks the group gets the documented 403
``invalid-token-no-rights``, quoting the shortened token exactly as Shoptet does.
"""

from __future__ import annotations

import hmac
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
import uvicorn
from litestar import Litestar, Request, Response, get
from litestar.exceptions import HTTPException

TOKEN_HEADER: Final = "Shoptet-Private-API-Token"  # noqa: S105 (a header name)
DEFAULT_TOKEN: Final = "123456-p-100-simulatedtoken0000000000000000"  # noqa: S105 (simulator only)
ENDPOINT_GROUPS: Final = ("eshop", "orders", "products", "stocks", "pricelists", "webhooks")
JSON: Final = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class SimStock:
    """A warehouse of the simulated e-shop."""

    id: int
    title: str
    is_delivery_point: bool = False
    visible_on_eshop: bool = True


@dataclass(frozen=True, slots=True)
class SimPricelist:
    id: int
    name: str


@dataclass(slots=True)
class State:
    """The simulated e-shop. Tests change it between requests; the app reads it on every request."""

    token: str = DEFAULT_TOKEN
    eshop_id: int = 222651
    eshop_name: str = "Simulovaný obchod"
    url: str = "https://simulovany-obchod.myshoptet.com/"
    company_id: str | None = "12345678"
    vat_id: str | None = "CZ12345678"
    rights: set[str] = field(default_factory=lambda: set(ENDPOINT_GROUPS))
    stocks: list[SimStock] = field(default_factory=lambda: [SimStock(1, "Hlavní sklad")])
    default_stock_id: int = 1
    pricelists: list[SimPricelist] = field(default_factory=lambda: [SimPricelist(1, "Hlavní ceník")])
    requests: int = 0


def _request_id() -> str:
    return str(uuid.uuid4())


def _envelope(
    status: int, data: Any = None, errors: list[dict[str, str]] | None = None, request_id: str | None = None
) -> Response[bytes]:
    request_id = request_id or _request_id()
    body = {"data": data, "errors": errors, "metadata": {"requestId": request_id}}
    headers = {"X-Request-ID": request_id}
    return Response(content=msgspec.json.encode(body), status_code=status, media_type=JSON, headers=headers)


def _error(status: int, code: str, message: str, instance: str) -> Response[bytes]:
    return _envelope(status, None, [{"errorCode": code, "message": message, "instance": instance}])


def _authorize(request: Request[Any, Any, Any], state: State, group: str) -> Response[bytes] | None:
    state.requests += 1
    token = request.headers.get(TOKEN_HEADER)
    if not token:
        return _error(
            401,
            "missing-access-token",
            "Missing access token. Please add `Shoptet-Access-Token` header to your request.",
            "unknown",
        )
    # Shoptet answers an unknown token and an expired one alike (401); the documented body is this one.
    if not hmac.compare_digest(token.encode(), state.token.encode()):
        return _error(401, "expired-token", "Token is expired. Please ask for new one.", "unknown")
    if group not in state.rights:
        shortened = f"{token[:3]}..{token[-3:]}"
        return _error(
            403,
            "invalid-token-no-rights",
            f'Your access token "{shortened}" has no defined rights for this resource.',
            "access-token",
        )
    return None


def _per_page(request: Request[Any, Any, Any], default: int) -> int:
    # "The number of items per page can be decreased only, the default value is maximum."
    raw = request.query_params.get("itemsPerPage")
    try:
        wanted = int(raw) if raw is not None else default
    except ValueError:
        wanted = default
    return max(1, min(wanted, default))


def _page(request: Request[Any, Any, Any], name: str, items: list[Any], max_per_page: int) -> dict[str, Any]:
    per_page = _per_page(request, max_per_page)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    chunk = items[(page - 1) * per_page : page * per_page]
    return {
        name: chunk,
        "paginator": {
            "totalCount": len(items),
            "page": page,
            "pageCount": math.ceil(len(items) / per_page),
            "itemsOnPage": len(chunk),
            "itemsPerPage": per_page,
        },
    }


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


def build_app(state: State | None = None) -> Litestar:
    """The simulator as an ASGI app over ``state`` (a fresh default e-shop when omitted)."""
    shop = state if state is not None else State()

    @get("/api/eshop", sync_to_thread=False)
    def get_eshop(request: Request[Any, Any, Any]) -> Response[bytes]:
        return _authorize(request, shop, "eshop") or _envelope(200, eshop_info(shop))

    @get("/api/orders", sync_to_thread=False)
    def get_orders(request: Request[Any, Any, Any]) -> Response[bytes]:
        # "itemsPerPage: default & max 50 (temporarily)"
        return _authorize(request, shop, "orders") or _envelope(200, _page(request, "orders", [], 50))

    @get("/api/products", sync_to_thread=False)
    def get_products(request: Request[Any, Any, Any]) -> Response[bytes]:
        return _authorize(request, shop, "products") or _envelope(200, _page(request, "products", [], 20))

    @get("/api/stocks", sync_to_thread=False)
    def get_stocks(request: Request[Any, Any, Any]) -> Response[bytes]:
        stocks = [
            {
                "id": s.id,
                "title": s.title,
                "isDeliveryPoint": s.is_delivery_point,
                "visibleOnEshop": s.visible_on_eshop,
                "deliveryPointTitle": s.title if s.is_delivery_point else None,
                "deliveryPointAddress": None,
            }
            for s in shop.stocks
        ]
        data = {"stocks": stocks, "defaultStockId": shop.default_stock_id}
        return _authorize(request, shop, "stocks") or _envelope(200, data)

    @get("/api/pricelists", sync_to_thread=False)
    def get_pricelists(request: Request[Any, Any, Any]) -> Response[bytes]:
        data = {"pricelists": [{"id": p.id, "name": p.name} for p in shop.pricelists]}
        return _authorize(request, shop, "pricelists") or _envelope(200, data)

    @get("/api/webhooks", sync_to_thread=False)
    def get_webhooks(request: Request[Any, Any, Any]) -> Response[bytes]:
        return _authorize(request, shop, "webhooks") or _envelope(200, _page(request, "webhooks", [], 20))

    return Litestar(
        route_handlers=[get_eshop, get_orders, get_products, get_stocks, get_pricelists, get_webhooks],
        exception_handlers={HTTPException: _http_exception},
        openapi_config=None,
        debug=False,
    )


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    # Unknown paths and methods: Shoptet documents no error code for them; the envelope stays the same.
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "error")
    return _error(exc.status_code, code, str(exc.detail), "unknown")


def serve(port: int, state: State | None = None, host: str = "127.0.0.1") -> None:
    """Run the simulator with uvicorn until interrupted (``spojka simulate shoptet --port N``)."""
    uvicorn.run(build_app(state), host=host, port=port, log_level="info")
