"""A small client for the Shoptet REST API: authentication headers, the response envelope, errors.

Every JSON answer of the API has the same envelope: ``{"data": ..., "errors": [...] | null,
"metadata": {"requestId": ...}}``; an error item is ``{"errorCode", "message", "instance"}``.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import httpx
import msgspec

TOKEN_HEADER: Final = "Shoptet-Private-API-Token"  # noqa: S105 (a header name)
# The OpenAPI file declares Content-Type as a required request header, default application/json.
CONTENT_TYPE: Final = "application/json"
USER_AGENT: Final = "Spojka"
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)

NO_RIGHTS: Final = "invalid-token-no-rights"
MISSING_MODULE: Final = "missing-module"

_MAX_REMOTE_MESSAGE = 300
# Shoptet quotes a shortened token in some messages ("afd..123"); such fragments never reach a user.
_QUOTED_TOKEN_FRAGMENT = re.compile(r"\"[^\"\s]*\.\.[^\"\s]*\"|'[^'\s]*\.\.[^'\s]*'")


class ApiError(msgspec.Struct, rename="camel"):
    """One item of the envelope's ``errors``."""

    error_code: str = ""
    message: str = ""
    instance: str | None = None


class Metadata(msgspec.Struct, rename="camel"):
    request_id: str | None = None


class Envelope(msgspec.Struct):
    """The envelope of every JSON answer."""

    data: Any = None
    errors: list[ApiError] | None = None
    metadata: Metadata | None = None


@dataclass(frozen=True, slots=True)
class ShoptetResponse:
    """An answer of the API: its status, the parsed envelope (``None`` if it was not one) and headers."""

    status: int
    envelope: Envelope | None
    headers: Mapping[str, str]

    @property
    def errors(self) -> list[ApiError]:
        return list(self.envelope.errors or []) if self.envelope else []

    @property
    def request_id(self) -> str | None:
        if self.envelope and self.envelope.metadata and self.envelope.metadata.request_id:
            return self.envelope.metadata.request_id
        return self.headers.get("x-request-id")

    def has_error(self, code: str) -> bool:
        return any(e.error_code == code for e in self.errors)


class ShoptetUnreachableError(Exception):
    """No HTTP answer at all: DNS, refused connection, TLS failure or timeout."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Remove secrets and quoted token fragments from a remote message, and keep it short."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[hidden]")
            # The shortened form Shoptet quotes, in case it comes without quotes.
            text = text.replace(f"{secret[:3]}..{secret[-3:]}", "[hidden]")
    text = _QUOTED_TOKEN_FRAGMENT.sub('"[hidden]"', text)
    text = " ".join(text.split())
    if len(text) > _MAX_REMOTE_MESSAGE:
        text = text[: _MAX_REMOTE_MESSAGE - 1] + "…"
    return text


def _describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if not isinstance(exc, httpx.ConnectError):
        return "the connection broke off"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused (nothing listens at that address and port)"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(cause, ssl.SSLError):
            return "the secure (TLS) connection failed"
        cause = cause.__cause__ or cause.__context__
    return "the connection failed"


class ShoptetClient:
    """An ``async with`` HTTP client bound to one e-shop's token.

    It never logs or returns the token; error texts from the remote pass through :func:`scrub`.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._http = httpx.AsyncClient(
            base_url=self.api_url,
            headers={
                TOKEN_HEADER: token,
                "Content-Type": CONTENT_TYPE,
                "Accept": CONTENT_TYPE,
                "User-Agent": USER_AGENT,
            },
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> ShoptetClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def scrub(self, text: str) -> str:
        return scrub(text, (self._token,))

    async def get(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        request_timeout: float | None = None,
    ) -> ShoptetResponse:
        """GET ``path`` (e.g. ``/api/eshop``); raise :class:`ShoptetUnreachableError` if nothing answered."""
        request = self._http.build_request("GET", path, params=dict(params) if params else None)
        if request_timeout is not None:
            limit = httpx.Timeout(request_timeout, connect=min(request_timeout, 5.0))
            request.extensions["timeout"] = limit.as_dict()
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            raise ShoptetUnreachableError(_describe_transport_error(exc)) from None
        return ShoptetResponse(
            status=response.status_code,
            envelope=_parse_envelope(response.content),
            headers={k.lower(): v for k, v in response.headers.items()},
        )


def _parse_envelope(body: bytes) -> Envelope | None:
    try:
        envelope = msgspec.json.decode(body, type=Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    # Any JSON object decodes into the all-optional envelope; a real one carries data or errors.
    if envelope.data is None and envelope.errors is None and envelope.metadata is None:
        return None
    return envelope
