"""Putting the observability middleware around the whole Litestar app."""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Litestar

from spojka.system.metrics import MetricsMiddleware
from spojka.system.request_log import RequestLogMiddleware

__all__ = ("instrument_app",)


def instrument_app(app: Litestar, *, trusted_proxies: Iterable[str] = ()) -> Litestar:
    """Wrap ``app``'s ASGI handler in request logging (outer) and metrics (inner); return ``app``.

    Litestar applies ``Litestar(middleware=[...])`` per route handler, after routing, so that
    form never sees requests the router rejects (404, 405). Wrapping the app's ASGI handler
    instead (where Litestar itself puts CORS) sees every HTTP request while staying inside
    Litestar: ``app`` is still the Litestar instance, its lifespan and test client unchanged.
    Calling it twice changes nothing.
    """
    if not isinstance(app.asgi_handler, RequestLogMiddleware):
        app.asgi_handler = RequestLogMiddleware(
            MetricsMiddleware(app.asgi_handler), trusted_proxies=trusted_proxies
        )
    return app
