"""Observability and system routes: logging, request log, Prometheus metrics, health and readiness.

Wiring, in the app factory::

    configure_logging(settings)                      # first, before the app exists
    app = Litestar(
        route_handlers=[*ROUTES, ...],
        logging_config=LitestarLoggingConfig(),      # keep Litestar from replacing our handler
        ...,
    )
    instrument_app(app, trusted_proxies=settings.trusted_proxy_set)

and uvicorn with ``log_config=None, access_log=False``.
"""

from spojka.system.logging import LitestarLoggingConfig, configure_logging
from spojka.system.metrics import METRICS_CONTENT_TYPE, MetricsMiddleware, get_registry, render_metrics
from spojka.system.redaction import REDACTED, redact_sensitive, redact_value, scrub_text
from spojka.system.request_log import REQUEST_ID_HEADER, RequestLogMiddleware
from spojka.system.routes import ROUTES
from spojka.system.wiring import instrument_app

__all__ = (
    "METRICS_CONTENT_TYPE",
    "REDACTED",
    "REQUEST_ID_HEADER",
    "ROUTES",
    "LitestarLoggingConfig",
    "MetricsMiddleware",
    "RequestLogMiddleware",
    "configure_logging",
    "get_registry",
    "instrument_app",
    "redact_sensitive",
    "redact_value",
    "render_metrics",
    "scrub_text",
)
