"""One log line per HTTP request, and the request id that ties a request's lines together."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from spojka.system.context import request_context, route_template
from spojka.system.redaction import REDACTED, is_sensitive_key

__all__ = ("REQUEST_ID_HEADER", "RequestLogMiddleware", "loggable_path")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER_RAW = REQUEST_ID_HEADER.lower().encode("latin-1")
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Probes and scrapes arrive every few seconds; at INFO they would drown everything else.
_QUIET_PATHS = frozenset({"/health", "/metrics"})
_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_STATUS_CLIENT_GONE = 499

_logger = structlog.stdlib.get_logger("spojka.request")


def loggable_path(path: str, template: str | None, params: Mapping[str, Any]) -> str:
    """``path`` with the values of sensitive path parameters (``{token}``, ...) redacted.

    Webhook URLs carry their secret in the path (``/api/v1/hooks/{connectionId}/{token}``); the
    path is rebuilt from the matched template only when such a parameter is present.
    """
    if not template or not any(is_sensitive_key(name) for name in _PATH_PARAM.findall(template)):
        return path

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if is_sensitive_key(name):
            return REDACTED
        return str(params.get(name, match.group(0))).lstrip("/")

    return _PATH_PARAM.sub(fill, template)


def _incoming_request_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == _REQUEST_ID_HEADER_RAW:
            text = value.decode("latin-1").strip()
            return text if _VALID_REQUEST_ID.fullmatch(text) else None
    return None


class RequestLogMiddleware:
    """Pure ASGI middleware: request id in, request id out, one ``request`` log line per request.

    Takes a well-formed incoming ``X-Request-ID`` (up to 64 of ``[A-Za-z0-9._-]``) or makes one,
    binds it for every line logged while serving the request, stores it as
    ``scope["state"]["request_id"]``, returns it in the ``X-Request-ID`` response header and, once
    the response is sent, logs method, path (no query string; sensitive path parameters redacted),
    route template, status, duration, tenant, user and client address. Bodies and headers are
    never logged. ``/health`` and ``/metrics`` are logged at DEBUG, server errors at ERROR.

    If a request already went through an instance (the middleware was installed twice), the
    inner one passes it on untouched.
    """

    def __init__(self, app: ASGIApp, *, trusted_proxies: Iterable[str] = ()) -> None:
        """Wrap ``app``; X-Forwarded-For is believed only from ``trusted_proxies`` (addresses)."""
        self.app = app
        self.trusted_proxies = frozenset(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection; anything but HTTP passes straight through."""
        if scope["type"] != ScopeType.HTTP or "request_id" in scope.get("state", {}):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        request_id = _incoming_request_id(scope["headers"]) or uuid.uuid4().hex
        state["request_id"] = request_id
        # The router rewrites scope["path"] (normalised; relative for mounted apps): keep the original.
        path = scope["path"]
        method = scope["method"]
        header = (_REQUEST_ID_HEADER_RAW, request_id.encode("latin-1"))
        status: int | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != _REQUEST_ID_HEADER_RAW]
                headers.append(header)
                message = {**message, "headers": headers}
            await send(message)

        with request_context(request_id, state):
            started = time.perf_counter()
            try:
                await self.app(scope, receive, send_with_request_id)
            except asyncio.CancelledError:
                status = status or _STATUS_CLIENT_GONE
                raise
            except BaseException:
                status = status or 500
                raise
            finally:
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                self._log(
                    scope=scope,
                    state=state,
                    method=method,
                    path=path,
                    status=status or 500,
                    duration_ms=duration_ms,
                    request_id=request_id,
                )

    def _log(
        self,
        *,
        scope: Scope,
        state: Mapping[str, Any],
        method: str,
        path: str,
        status: int,
        duration_ms: float,
        request_id: str,
    ) -> None:
        template = route_template(scope)
        if path.rstrip("/") in _QUIET_PATHS:
            log = _logger.debug
        elif status >= 500:
            log = _logger.error
        else:
            log = _logger.info
        tenant_id = state.get("tenant_id")
        user_id = state.get("user_id")
        log(
            "request",
            method=method,
            path=loggable_path(path, template, scope.get("path_params") or {}),
            route=template,
            status=status,
            duration_ms=duration_ms,
            request_id=request_id,
            tenant_id=None if tenant_id is None else str(tenant_id),
            user_id=None if user_id is None else str(user_id),
            client=self._client_address(scope),
        )

    def _client_address(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else None
        if peer is None or peer not in self.trusted_proxies:
            return peer
        forwarded = b",".join(value for name, value in scope["headers"] if name.lower() == b"x-forwarded-for")
        hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",") if hop.strip()]
        # From the nearest hop back: the first address that is not one of our proxies is the client.
        for hop in reversed(hops):
            if hop not in self.trusted_proxies:
                return hop
        return peer
