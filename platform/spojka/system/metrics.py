"""Prometheus metrics: one registry per process, and the HTTP request metrics on it.

The registry is a dedicated :class:`~prometheus_client.CollectorRegistry` rather than the
library's global one, so only what Spojka chose to expose is exposed, and other packages add their
metrics to it through :func:`get_registry`.
"""

from __future__ import annotations

import asyncio
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from spojka.system.context import route_template

__all__ = (
    "METRICS_CONTENT_TYPE",
    "UNMATCHED_ROUTE",
    "MetricsMiddleware",
    "get_registry",
    "render_metrics",
)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED_ROUTE = "unmatched"
# Any other method a client invents becomes "OTHER": labels must stay a small, fixed set.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})
# nginx's "client closed request": the client went away before we answered.
_STATUS_CLIENT_GONE = 499
# Marks a request already counted, so installing the middleware twice does not count it twice.
_COUNTED = "_spojka_metrics_counted"

_registry = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=_registry)
PlatformCollector(registry=_registry)
GCCollector(registry=_registry)

_requests_total = Counter(
    "spojka_http_requests_total",
    "HTTP requests answered, by method, matched route template and status code.",
    ("method", "route", "status"),
    registry=_registry,
)
_request_duration = Histogram(
    "spojka_http_request_duration_seconds",
    "Time from receiving an HTTP request to sending the last byte of the response.",
    ("method", "route"),
    registry=_registry,
)


def get_registry() -> CollectorRegistry:
    """The process's metrics registry: pass it as ``registry=`` when creating a metric."""
    return _registry


def render_metrics() -> bytes:
    """All metrics in the Prometheus text exposition format (:data:`METRICS_CONTENT_TYPE`)."""
    return generate_latest(_registry)


class MetricsMiddleware:
    """Pure ASGI middleware counting and timing every HTTP request.

    Labels are the method, the matched route template (``unmatched`` for 404/405 and anything
    the router refused) and the status code: never the raw path, so cardinality stays bounded.
    A request that already went through an instance is not counted again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection; anything but HTTP passes straight through."""
        if scope["type"] != ScopeType.HTTP or _COUNTED in scope.get("state", {}):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})[_COUNTED] = True
        started = time.perf_counter()
        status: int | None = None

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        except asyncio.CancelledError:
            status = status or _STATUS_CLIENT_GONE
            raise
        except BaseException:
            status = status or 500
            raise
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            route = route_template(scope) or UNMATCHED_ROUTE
            _requests_total.labels(method, route, str(status or 500)).inc()
            _request_duration.labels(method, route).observe(elapsed)
