"""A Shoptet API simulator over real HTTP: the documented paths, headers, envelope, limits and errors.

The app is Litestar routes per resource (``routes_*``), the add-on OAuth server (:mod:`.oauth`), the
control API (:mod:`.control`), all behind :class:`~.limits.LimitsMiddleware` (the leaky bucket, the
connection cap, 423 on concurrent identical writes, injected faults). Authentication is the private
API token (``Shoptet-Private-API-Token``) or an add-on access token (``Shoptet-Access-Token``); a
token whose :attr:`State.rights` lack the endpoint group gets the documented 403
``invalid-token-no-rights``, quoting the shortened token exactly as Shoptet does.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException

from spojka_connectors.shoptet.simulator import (
    control,
    oauth,
    routes_eshop,
    routes_methods,
    routes_orders,
    routes_pricelists,
    routes_products,
    routes_stocks,
    routes_webhooks,
    server,
)
from spojka_connectors.shoptet.simulator.limits import Bucket, LimitsMiddleware
from spojka_connectors.shoptet.simulator.protocol import error
from spojka_connectors.shoptet.simulator.state import State


class SimulatorApp(LimitsMiddleware):
    """The ASGI app of one simulated e-shop; :attr:`state` and :attr:`bucket` are its insides."""


def build_app(state: State | None = None) -> SimulatorApp:
    """The simulator as an ASGI app over ``state`` (a fresh default e-shop when omitted)."""
    shop = state if state is not None else State()
    bucket = Bucket(shop)
    handlers = [
        *routes_eshop.routes(shop),
        *routes_orders.routes(shop),
        *routes_methods.routes(shop),
        *routes_products.routes(shop),
        *routes_stocks.routes(shop),
        *routes_pricelists.routes(shop),
        *routes_webhooks.routes(shop),
        *oauth.routes(shop),
        *control.routes(shop, bucket),
    ]
    app = Litestar(
        route_handlers=handlers,
        exception_handlers={HTTPException: _http_exception},
        openapi_config=None,
        debug=False,
    )
    return SimulatorApp(app, shop, bucket)


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    # Unknown paths and methods: Shoptet documents no error code for them; the envelope stays the same.
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "error")
    return error(exc.status_code, code, str(exc.detail), "unknown")


def serve(port: int, state: State | None = None, host: str = "127.0.0.1") -> None:
    """Run the simulator with uvicorn until interrupted."""
    server.serve(build_app(state), port, host)
