"""System endpoints for orchestrators and scrapers: liveness, readiness and Prometheus metrics.

All three are public (no session, no CSRF token) and uncached, and appear under the "system" tag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

import structlog
from litestar import Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text

from spojka.system.metrics import render_metrics

__all__ = ("ROUTES", "Health", "Readiness", "health", "metrics", "ready")

CHECK_TIMEOUT_S: Final = 2.0
_OK: Final = "ok"
_UNREACHABLE: Final = "unreachable"
_NOT_CONFIGURED: Final = "not configured"
_TAGS: Final = ["system"]
_PUBLIC: Final = {"exclude_from_auth": True, "exclude_from_csrf": True}
_NO_STORE: Final = CacheControlHeader(no_store=True)
# Litestar appends "; charset=utf-8" to text/* media types itself, giving METRICS_CONTENT_TYPE.
_METRICS_MEDIA_TYPE: Final = "text/plain; version=0.0.4"

_logger = structlog.stdlib.get_logger("spojka.system")


@dataclass(frozen=True, slots=True)
class Health:
    """Liveness answer."""

    status: str


@dataclass(frozen=True, slots=True)
class Readiness:
    """Readiness answer: ``ready`` or ``unavailable``, and each dependency's state."""

    status: str
    checks: dict[str, str]


@get(
    "/health",
    operation_id="health",
    summary="Liveness",
    description="200 as long as the process serves requests; touches no dependency.",
    tags=_TAGS,
    opt=_PUBLIC,
    cache_control=_NO_STORE,
)
async def health() -> Health:
    """Liveness probe."""
    return Health(status="ok")


async def _ping_database(state: State) -> None:
    async with state.db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _ping_redis(state: State) -> None:
    await state.redis.ping()


async def _check(name: str, attribute: str, state: State, probe: Callable[[State], Awaitable[Any]]) -> str:
    if getattr(state, attribute, None) is None:
        _logger.warning("readiness check failed", check=name, reason=_NOT_CONFIGURED)
        return _NOT_CONFIGURED
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await probe(state)
    except Exception as exc:
        # The detail goes to the log (scrubbed of credentials), never into the public answer.
        _logger.warning("readiness check failed", check=name, error=type(exc).__name__, detail=str(exc))
        return _UNREACHABLE
    return _OK


@get(
    "/ready",
    operation_id="readiness",
    summary="Readiness",
    description=(
        f"200 when the database and Redis both answer within {CHECK_TIMEOUT_S:g} s, else 503 naming "
        "the check that failed."
    ),
    tags=_TAGS,
    opt=_PUBLIC,
    cache_control=_NO_STORE,
    responses={
        HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
            data_container=Readiness, description="A dependency is unreachable."
        )
    },
)
async def ready(state: State) -> Response[Readiness]:
    """Readiness probe: ``SELECT 1`` on the database and ``PING`` to Redis, concurrently."""
    database, redis = await asyncio.gather(
        _check("database", "db", state, _ping_database),
        _check("redis", "redis", state, _ping_redis),
    )
    checks = {"database": database, "redis": redis}
    if all(result == _OK for result in checks.values()):
        return Response(Readiness(status="ready", checks=checks), status_code=HTTP_200_OK)
    return Response(Readiness(status="unavailable", checks=checks), status_code=HTTP_503_SERVICE_UNAVAILABLE)


@get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    description="Metrics of this process in the Prometheus text exposition format 0.0.4.",
    tags=_TAGS,
    opt=_PUBLIC,
    cache_control=_NO_STORE,
    media_type=_METRICS_MEDIA_TYPE,
)
async def metrics() -> Response[bytes]:
    """Prometheus scrape endpoint."""
    return Response(render_metrics(), media_type=_METRICS_MEDIA_TYPE)


ROUTES: Final = [health, ready, metrics]
"""The system route handlers, to pass to ``Litestar(route_handlers=[...])``."""
