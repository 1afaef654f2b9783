"""The Shoptet REST API over the SDK's :class:`ConnectorHttpClient`: auth header, envelope, errors.

Limits, retries (429 with ``Retry-After`` dates, 423, 503, dropped connections), bucket pacing from
``X-RateLimit-Bucket-Filling`` and the one renewal after a 401 are the SDK client's; this module only
adds what is Shoptet's. Every JSON answer has the same envelope: ``{"data": ..., "errors": [...] |
null, "metadata": {"requestId": ...}}``; an error item is ``{"errorCode", "message", "instance"}``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self

import httpx
import msgspec

from spojka.connector import AuthExpiredError, FatalError, RateLimit, RetriableError
from spojka.connector.http import ConnectionLimiter, ConnectorHttpClient, Params, RetryPolicy

TOKEN_HEADER: Final = "Shoptet-Private-API-Token"  # noqa: S105 (a header name)
ACCESS_TOKEN_HEADER: Final = "Shoptet-Access-Token"  # noqa: S105 (a header name)
BUCKET_HEADER: Final = "X-RateLimit-Bucket-Filling"
# The OpenAPI file declares Content-Type as a required request header, default application/json.
CONTENT_TYPE: Final = "application/json"
DEFAULT_TIMEOUT: Final = httpx.Timeout(10.0, connect=5.0)

NO_RIGHTS: Final = "invalid-token-no-rights"
MISSING_MODULE: Final = "missing-module"
EXPIRED_TOKEN: Final = "expired-token"  # noqa: S105 (an error code)

_MAX_REMOTE_MESSAGE = 300
# Shoptet quotes a shortened token in some messages ("afd..123"); such fragments never reach a user.
_QUOTED_TOKEN_FRAGMENT = re.compile(r"\"[^\"\s]*\.\.[^\"\s]*\"|'[^'\s]*\.\.[^'\s]*'")
# Stock quantities go as JSON numbers; msgspec writes Decimal as a number without losing digits.
_NUMBER_ENCODER: Final = msgspec.json.Encoder(decimal_format="number")


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
    def data(self) -> Any:
        return self.envelope.data if self.envelope else None

    @property
    def request_id(self) -> str | None:
        if self.envelope and self.envelope.metadata and self.envelope.metadata.request_id:
            return self.envelope.metadata.request_id
        return self.headers.get("x-request-id")

    def has_error(self, code: str) -> bool:
        return any(e.error_code == code for e in self.errors)


class ShoptetUnreachableError(Exception):
    """No usable answer: DNS, refused connection, timeout, or a limit that outlasted the retries."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


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


def fingerprint(secret: str) -> str:
    """A short, non-reversible name for a token: Shoptet's limits are per token."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def encode_json(body: Any) -> bytes:
    """JSON with ``Decimal`` as numbers (``PATCH /api/stocks/.../movements`` wants numbers)."""
    return _NUMBER_ENCODER.encode(body)


def parse_envelope(body: bytes) -> Envelope | None:
    try:
        envelope = msgspec.json.decode(body, type=Envelope)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    # Any JSON object decodes into the all-optional envelope; a real one carries data or errors.
    if envelope.data is None and envelope.errors is None and envelope.metadata is None:
        return None
    return envelope


# The last 401 answer seen by the running task (on_response runs in the task that sent the request).
_REFUSAL: ContextVar[httpx.Response | None] = ContextVar("shoptet_refusal", default=None)


def _remember_refusal(response: httpx.Response, _: ConnectionLimiter) -> None:
    _REFUSAL.set(response if response.status_code == 401 else None)


class _RenewalRefusedError(AuthExpiredError):
    """The access token could not be renewed after a 401 (raised through the SDK client)."""


#: Renews the credential after a 401; returns the new header (name, value) or ``None`` if it cannot.
Renew = Callable[[], Awaitable[tuple[str, str] | None]]


class ShoptetClient:
    """An ``async with`` client of one e-shop's API, authorised by one token header.

    ``renew`` (add-on mode) is called once after a 401 to fetch a new access token; ``limit_id``
    names whose limits these are (default: the token's fingerprint). The token never
    appears in a log or an error; remote texts pass through :func:`scrub`.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        header: str = TOKEN_HEADER,
        limits: RateLimit | None = None,
        retry: RetryPolicy | None = None,
        renew: Renew | None = None,
        limit_id: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._secrets = [token]
        self._header = header
        self._renew = renew
        self._http = ConnectorHttpClient(
            base_url=self.api_url,
            name="Shoptet",
            limits=limits,
            # Shoptet's limits are per token (and per e-shop): clients of one token share them.
            limit_key=f"shoptet:{self.api_url}:{limit_id or fingerprint(token)}",
            headers={header: token, "Content-Type": CONTENT_TYPE, "Accept": CONTENT_TYPE},
            timeout=timeout,
            retry=retry,
            secret_headers=(TOKEN_HEADER, ACCESS_TOKEN_HEADER),
            bucket_header=BUCKET_HEADER,
            on_unauthorized=self._on_unauthorized if renew is not None else None,
            on_response=_remember_refusal,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def scrub(self, text: str) -> str:
        return scrub(text, self._secrets)

    async def _on_unauthorized(self) -> bool:
        assert self._renew is not None
        try:
            renewed = await self._renew()
        except AuthExpiredError as exc:
            # Renewal itself was refused (the add-on was uninstalled): that, not the 401 that led
            # here, is what the merchant must hear.
            raise _RenewalRefusedError(exc.message, details=exc.details) from None
        if renewed is None:
            return False
        name, value = renewed
        self._secrets.append(value)
        self._http.headers[name] = value
        return True

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        request_timeout: float | None = None,
    ) -> ShoptetResponse:
        """Send one request; any answer comes back as a :class:`ShoptetResponse`.

        Raises :class:`ShoptetUnreachableError` when no answer came (after the SDK's retries),
        :class:`~spojka.connector.errors.AuthExpiredError` for a 401 that renewal could not cure.
        """
        content = encode_json({"data": body}) if body is not None else None
        try:
            response = await self._http.request(
                method,
                path,
                params=params,
                content=content,
                timeout=request_timeout,
                # PATCHes here set absolute values (stock levels, statuses, notes): repeating one is harmless.
                retry_unsafe=method in ("PATCH", "GET"),
            )
        except _RenewalRefusedError as exc:
            raise AuthExpiredError(exc.message, details=exc.details) from None
        except AuthExpiredError:
            # The SDK raises on a 401 it could not cure; its body says why (expired, missing header).
            refused = _REFUSAL.get()
            if refused is None:
                raise
            response = refused
        except RetriableError as exc:
            raise ShoptetUnreachableError(
                self.scrub(exc.message), status=exc.details.get("status"), retry_after=exc.retry_after
            ) from None
        return ShoptetResponse(
            status=response.status_code,
            envelope=parse_envelope(response.content),
            headers={k.lower(): v for k, v in response.headers.items()},
        )

    async def get(
        self, path: str, params: Params | None = None, *, request_timeout: float | None = None
    ) -> ShoptetResponse:
        """GET ``path`` (e.g. ``/api/eshop``)."""
        return await self.request("GET", path, params=params, request_timeout=request_timeout)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        ok: Iterable[int] = (200,),
    ) -> ShoptetResponse:
        """Like :meth:`request`, for the sessions: a status outside ``ok`` becomes a connector error.

        403 (rights) and other refusals are :class:`FatalError` with the remote's words; no answer is
        :class:`RetriableError` so that the engine comes back later.
        """
        try:
            response = await self.request(method, path, params=params, body=body)
        except ShoptetUnreachableError as exc:
            raise RetriableError(exc.reason, retry_after=exc.retry_after) from None
        if response.status in set(ok):
            return response
        raise self.failure(response, f"{method} {path}")

    def failure(self, response: ShoptetResponse, what: str) -> Exception:
        """The connector error for an unexpected answer."""
        words = self.scrub(" ".join(e.message for e in response.errors if e.message)) or "no error message"
        details: dict[str, Any] = {
            "status": response.status,
            "errorCodes": [e.error_code for e in response.errors],
            "requestId": response.request_id,
        }
        if response.status == 401:
            return AuthExpiredError(
                "Shoptet no longer accepts the API token: reconnect the e-shop or enter a new token.",
                details=details,
            )
        if response.status == 403 and response.has_error(NO_RIGHTS):
            return FatalError(
                f"The API token lacks the rights for {what}: in the e-shop administration, under Access "
                "to API, give the token this endpoint group.",
                details=details,
            )
        if response.status >= 500:
            return RetriableError(
                f"Shoptet failed on {what} (HTTP {response.status}): {words}", details=details
            )
        return FatalError(f"Shoptet refused {what} (HTTP {response.status}): {words}", details=details)
