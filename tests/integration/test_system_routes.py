"""/health, /ready and /metrics against a real database and a real Redis."""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from spojka.db import Database
from spojka.system import METRICS_CONTENT_TYPE, ROUTES, LitestarLoggingConfig, instrument_app

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def system_redis_url(request: pytest.FixtureRequest) -> str:
    """The shared ``redis_url`` fixture once the embedded Redis exists, else the local server."""
    if os.environ.get("SPOJKA_TEST_REDIS_URL") or importlib.util.find_spec("spojka.embedded_redis"):
        return str(request.getfixturevalue("redis_url"))
    return "redis://127.0.0.1:6379/15"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_app(database_url: str | None = None, redis_url: str | None = None, **redis_options: Any) -> Litestar:
    """The system routes on an instrumented app whose lifespan opens the given database and Redis.

    They are opened in the lifespan because the test client serves the app on its own event loop.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(database_url) if database_url else None
        redis = aioredis.Redis.from_url(redis_url, **redis_options) if redis_url else None
        if db is not None:
            app.state.db = db
        if redis is not None:
            app.state.redis = redis
        try:
            yield
        finally:
            if db is not None:
                await db.dispose()
            if redis is not None:
                await redis.aclose()

    app = Litestar(route_handlers=ROUTES, lifespan=[lifespan], logging_config=LitestarLoggingConfig())
    return instrument_app(app)


@pytest.fixture
def database_url(test_database: Any) -> str:
    return str(test_database.runtime_url)


DEAD_DATABASE_URL = "postgresql+asyncpg://spojka:hunter2@127.0.0.1:{port}/spojka"


async def test_health_is_ok_without_touching_anything() -> None:
    async with AsyncTestClient(make_app()) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_ready_when_database_and_redis_answer(database_url: str, system_redis_url: str) -> None:
    async with AsyncTestClient(make_app(database_url, system_redis_url)) as client:
        response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_not_ready_when_redis_is_unreachable(database_url: str) -> None:
    dead_redis = f"redis://127.0.0.1:{closed_port()}/0"
    async with AsyncTestClient(make_app(database_url, dead_redis, socket_connect_timeout=1)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unreachable"}}


async def test_not_ready_when_database_is_unreachable(system_redis_url: str) -> None:
    dead_database = DEAD_DATABASE_URL.format(port=closed_port())
    async with AsyncTestClient(make_app(dead_database, system_redis_url)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "unavailable", "checks": {"database": "unreachable", "redis": "ok"}}
    assert "hunter2" not in response.text


async def test_not_ready_when_a_dependency_is_missing_from_state(database_url: str) -> None:
    async with AsyncTestClient(make_app(database_url)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "not configured"}


async def test_metrics_exposition_format() -> None:
    async with AsyncTestClient(make_app()) as client:
        await client.get("/health")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == METRICS_CONTENT_TYPE
    assert "# TYPE spojka_http_requests_total counter" in response.text
    assert "# TYPE spojka_http_request_duration_seconds histogram" in response.text
    assert 'spojka_http_requests_total{method="GET",route="/health",status="200"}' in response.text
    assert "process_cpu_seconds_total" in response.text


async def test_routes_are_public_and_documented() -> None:
    app = make_app()
    for handler in ROUTES:
        assert handler.opt["exclude_from_auth"] is True
        assert handler.opt["exclude_from_csrf"] is True
    async with AsyncTestClient(app) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    operations = {
        path: schema["paths"][path]["get"]
        for path in ("/health", "/ready", "/metrics")
        if path in schema["paths"]
    }
    assert {op["operationId"] for op in operations.values()} == {"health", "readiness", "metrics"}
    assert all(op["tags"] == ["system"] for op in operations.values())
    assert "503" in operations["/ready"]["responses"]
