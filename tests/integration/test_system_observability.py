"""Request log lines and HTTP metrics, seen from outside through a real Litestar app."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from litestar import Litestar, get, post
from litestar.params import FromPath
from litestar.testing import AsyncTestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import Counter

from spojka.settings import Settings
from spojka.system import (
    ROUTES,
    LitestarLoggingConfig,
    MetricsMiddleware,
    RequestLogMiddleware,
    configure_logging,
    get_registry,
    instrument_app,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

TENANT = "3b0f9a4e-1111-4c1a-9a53-000000000001"
USER = "3b0f9a4e-2222-4c1a-9a53-000000000002"
BEARER = "s3cr3t-bearer-value"
COOKIE = "c00kie-session-value"
QUERY_TOKEN = "qu3ry-t0ken-value"
HOOK_TOKEN = "h00k-path-token-value"


class StandInAuth:
    """Plays the authentication middleware's part: records the principal in scope state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith("/obs/things"):
            state = scope.setdefault("state", {})  # type: ignore[typeddict-item]
            state["tenant_id"] = TENANT
            state["user_id"] = USER
        await self.app(scope, receive, send)


@get("/obs/things/{thing_id:str}")
async def get_thing(thing_id: FromPath[str]) -> dict[str, str]:
    structlog.get_logger("spojka.test").info("loading thing", thing_id=thing_id)
    return {"id": thing_id}


@post("/obs/hooks/{connection_id:str}/{token:str}", status_code=202)
async def receive_hook(connection_id: FromPath[str], token: FromPath[str]) -> None:
    return None


@get("/obs/boom")
async def boom() -> None:
    raise RuntimeError("it broke")


def make_app(*, instrument: bool = True, route_middleware: list[Any] | None = None) -> Litestar:
    app = Litestar(
        route_handlers=[*ROUTES, get_thing, receive_hook, boom],
        middleware=[StandInAuth, *(route_middleware or [])],
        logging_config=LitestarLoggingConfig(),
    )
    return instrument_app(app) if instrument else app


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="DEBUG"), stream=stream)
    yield stream
    structlog.reset_defaults()
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in log_lines(stream) if line["event"] == "request"]


async def test_one_json_line_per_request_with_id_status_and_duration(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        responses = [
            await client.get("/obs/things/a1"),
            await client.get("/obs/things/b2"),
            await client.get("/no/such/page"),
            await client.post("/obs/things/a1"),
        ]
    lines = request_lines(log_stream)
    assert len(lines) == len(responses)
    for response, line in zip(responses, lines, strict=True):
        request_id = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
        assert line["request_id"] == request_id
        assert line["status"] == response.status_code
        assert isinstance(line["duration_ms"], float | int)
        assert line["duration_ms"] >= 0
        assert line["client"] == "testclient"
        assert line["logger"] == "spojka.request"
    assert [(line["method"], line["path"], line["route"]) for line in lines] == [
        ("GET", "/obs/things/a1", "/obs/things/{thing_id}"),
        ("GET", "/obs/things/b2", "/obs/things/{thing_id}"),
        ("GET", "/no/such/page", None),
        ("POST", "/obs/things/a1", None),
    ]
    assert [line["status"] for line in lines] == [200, 200, 404, 405]
    assert len({line["request_id"] for line in lines}) == 4


async def test_tenant_and_user_reach_request_line_and_handler_lines(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        response = await client.get("/obs/things/a1")
    inside, request = (
        line for line in log_lines(log_stream) if line["event"] in {"loading thing", "request"}
    )
    for line in (inside, request):
        assert line["request_id"] == response.headers["x-request-id"]
        assert (line["tenant_id"], line["user_id"]) == (TENANT, USER)


async def test_anonymous_request_has_no_principal(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        await client.get("/health")
    [line] = request_lines(log_stream)
    assert line["tenant_id"] is None
    assert line["user_id"] is None


async def test_incoming_request_id_is_kept_only_when_well_formed(log_stream: io.StringIO) -> None:
    good = "edge-4f2A.9_x"
    async with AsyncTestClient(make_app()) as client:
        kept = await client.get("/health", headers={"X-Request-ID": good})
        too_long = await client.get("/health", headers={"X-Request-ID": "a" * 65})
        bad_chars = await client.get(
            "/health", headers=[(b"X-Request-ID", "bad id \u00e9".encode("latin-1"))]
        )
    assert kept.headers["x-request-id"] == good
    for response in (too_long, bad_chars):
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    assert [line["request_id"] for line in request_lines(log_stream)] == [
        good,
        too_long.headers["x-request-id"],
        bad_chars.headers["x-request-id"],
    ]


async def test_secrets_in_headers_query_and_path_never_logged(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        await client.get(
            f"/obs/things/a1?token={QUERY_TOKEN}&page=2",
            headers={"Authorization": f"Bearer {BEARER}", "Cookie": f"spojka_session={COOKIE}"},
        )
        await client.post(f"/obs/hooks/conn-1/{HOOK_TOKEN}?password={QUERY_TOKEN}", content=b'{"a": 1}')
        await client.get("/no/such/page", params={"token": QUERY_TOKEN}, headers={"Authorization": BEARER})
    text = log_stream.getvalue()
    for secret in (BEARER, COOKIE, QUERY_TOKEN, HOOK_TOKEN):
        assert secret not in text
    assert "authorization" not in text.lower()
    assert "cookie" not in text.lower()
    paths = [line["path"] for line in request_lines(log_stream)]
    assert paths == ["/obs/things/a1", "/obs/hooks/conn-1/[redacted]", "/no/such/page"]


async def test_health_and_metrics_at_debug_errors_at_error(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        await client.get("/health")
        await client.get("/metrics")
        await client.get("/ready")
        await client.get("/obs/boom")
    levels = {line["path"]: line["level"] for line in request_lines(log_stream)}
    assert levels == {"/health": "debug", "/metrics": "debug", "/ready": "error", "/obs/boom": "error"}


async def test_unhandled_exception_logged_once_with_request_id(log_stream: io.StringIO) -> None:
    async with AsyncTestClient(make_app()) as client:
        response = await client.get("/obs/boom")
        await client.get("/no/such/page")
    assert response.status_code == 500
    errors = [line for line in log_lines(log_stream) if line["event"] == "unhandled exception"]
    assert len(errors) == 1
    [error] = errors
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["route"] == "/obs/boom"
    assert "RuntimeError: it broke" in error["exception"]


async def test_usable_as_litestar_middleware_and_never_doubled(log_stream: io.StringIO) -> None:
    route_level = [RequestLogMiddleware, MetricsMiddleware]
    async with AsyncTestClient(make_app(instrument=False, route_middleware=route_level)) as client:
        alone = await client.get("/obs/things/a1")
    async with AsyncTestClient(make_app(instrument=True, route_middleware=[RequestLogMiddleware])) as client:
        both = await client.get("/obs/things/a1")
    lines = request_lines(log_stream)
    assert [line["request_id"] for line in lines] == [
        alone.headers["x-request-id"],
        both.headers["x-request-id"],
    ]
    assert both.headers.get_list("x-request-id") == [both.headers["x-request-id"]]


async def test_metrics_never_doubled() -> None:
    labels = {"method": "GET", "route": "/obs/things/{thing_id}", "status": "200"}
    before = sample("spojka_http_requests_total", **labels)
    async with AsyncTestClient(make_app(instrument=True, route_middleware=[MetricsMiddleware])) as client:
        await client.get("/obs/things/a1")
    assert sample("spojka_http_requests_total", **labels) == before + 1


async def test_client_address_believes_forwarded_for_only_from_trusted_proxies(
    log_stream: io.StringIO,
) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
    async with AsyncTestClient(make_app()) as client:
        await client.get("/health", headers=forwarded)
    trusting = Litestar(route_handlers=ROUTES, logging_config=LitestarLoggingConfig())
    async with AsyncTestClient(instrument_app(trusting, trusted_proxies={"testclient"})) as client:
        await client.get("/health", headers=forwarded)
    assert [line["client"] for line in request_lines(log_stream)] == ["testclient", "203.0.113.9"]


def sample(name: str, **labels: str) -> float:
    return get_registry().get_sample_value(name, labels) or 0.0


async def test_metrics_count_by_route_template_never_raw_ids() -> None:
    route = "/obs/things/{thing_id}"
    before = sample("spojka_http_requests_total", method="GET", route=route, status="200")
    unmatched_before = sample("spojka_http_requests_total", method="GET", route="unmatched", status="404")
    async with AsyncTestClient(make_app()) as client:
        for thing in ("rawid-111", "rawid-222", "rawid-333"):
            assert (await client.get(f"/obs/things/{thing}")).status_code == 200
        await client.get("/no/such/rawid-444")
        await client.request("BREW", "/obs/things/rawid-555")
        response = await client.get("/metrics")
    text = response.text
    assert sample("spojka_http_requests_total", method="GET", route=route, status="200") == before + 3
    assert (
        sample("spojka_http_requests_total", method="GET", route="unmatched", status="404")
        == unmatched_before + 1
    )
    assert f'spojka_http_requests_total{{method="GET",route="{route}",status="200"}}' in text
    assert f'spojka_http_request_duration_seconds_count{{method="GET",route="{route}"}}' in text
    assert 'method="OTHER"' in text
    assert "BREW" not in text
    assert "rawid" not in text


async def test_other_packages_can_register_metrics() -> None:
    counter = Counter("spojka_test_widgets_total", "Widgets, for the test.", registry=get_registry())
    counter.inc(2)
    try:
        async with AsyncTestClient(make_app()) as client:
            text = (await client.get("/metrics")).text
        assert "spojka_test_widgets_total 2.0" in text
    finally:
        get_registry().unregister(counter)
