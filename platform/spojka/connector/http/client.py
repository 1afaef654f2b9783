"""The HTTP client every connector uses: limits, retries, credential renewal, a redacted log line."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self, TypedDict, Unpack

import httpx

from spojka.connector.errors import AuthExpiredError, ConfigError, RetriableError
from spojka.connector.http.limits import (
    Clock,
    ConnectionLimiter,
    Sleep,
    WaitTooLong,
    limiter_for,
    parse_bucket_filling,
)
from spojka.connector.http.redaction import install_httpx_log_filter, redact_url
from spojka.connector.http.retry import (
    IDEMPOTENT_METHODS,
    Failure,
    RetryPolicy,
    classify_error,
    classify_status,
)
from spojka.connector.spec import RateLimit

__all__ = (
    "DEFAULT_TIMEOUT",
    "ConnectorHttpClient",
    "OnResponse",
    "OnUnauthorized",
    "Params",
    "RequestOptions",
)

DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)
USER_AGENT: Final = "Spojka"

Params = Mapping[str, Any] | list[tuple[str, Any]]
OnResponse = Callable[[httpx.Response, ConnectionLimiter], None]
OnUnauthorized = Callable[[], Awaitable[bool]]

logger = logging.getLogger("spojka.connector.http")


class RequestOptions(TypedDict, total=False):
    """The keyword arguments of :meth:`ConnectorHttpClient.request`, for its shortcuts."""

    params: Params | None
    headers: Mapping[str, str] | None
    json: Any
    content: bytes | str | None
    data: Mapping[str, Any] | None
    timeout: httpx.Timeout | float | None
    retry_unsafe: bool
    cost: float


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


@dataclass(slots=True)
class _Call:
    """One call of :meth:`ConnectorHttpClient.request` across its attempts."""

    request: httpx.Request
    budget_seconds: float
    clock: Clock
    started: float | None = None  # the retry budget runs from the first send
    sent: int = 0
    failures: int = 0
    renewal_tried: bool = False

    def deadline(self) -> float:
        return (self.started if self.started is not None else self.clock()) + self.budget_seconds

    def remaining(self) -> float:
        return self.deadline() - self.clock()


class ConnectorHttpClient:
    """An ``async with`` wrapper of one :class:`httpx.AsyncClient` that behaves well towards the remote.

    - Timeouts on every phase (``timeout``, default :data:`DEFAULT_TIMEOUT`).
    - The connection's :class:`~spojka.connector.spec.RateLimit`: at most ``max_concurrency``
      requests in flight and a pacer for its leaky bucket, shared by every client created with the
      same ``limit_key`` (the connection id, or a fingerprint of its token). Without a ``limit_key``
      the limits apply to this client alone.
    - Bucket feedback from the remote: ``bucket_header`` names a header holding ``"filling/capacity"``
      or ``"filling"`` (Shoptet: ``X-RateLimit-Bucket-Filling``); ``on_response(response, limiter)``
      is called after every answer for anything else (call ``limiter.observe_bucket`` or
      ``limiter.pause`` from it).
    - Retries per ``retry`` (:class:`RetryPolicy`): connection failures and timeouts (for a request
      that may have arrived, only idempotent methods or ``retry_unsafe=True``), 429 and 503 (any
      method, honouring ``Retry-After``, which also pauses the rest of the connection), 423 (any
      method), 502 and 504 (idempotent or ``retry_unsafe``). When they run out, or a wait would
      not fit the budget, :class:`~spojka.connector.errors.RetriableError` says why in plain words.
    - 401: :class:`~spojka.connector.errors.AuthExpiredError`, unless ``on_unauthorized`` renews the
      credentials (it returns ``True`` after updating :attr:`headers`); then the request is sent once
      more. Concurrent 401s of one client renew once.
    - Every other answer, 4xx and 5xx included, is returned: its meaning is the connector's to map.
    - One DEBUG line per attempt on the ``spojka.connector.http`` logger: method, URL with query
      names but no values, status or error, duration, attempt. Headers are never logged; use
      :func:`redact_headers` / :func:`redact_url` (``secret_headers`` adds names to the built-in
      rules) if a connector must log them.

    ``clock`` (monotonic seconds), ``sleep`` and ``wall_clock`` (aware UTC datetime, used for
    ``Retry-After`` dates when the answer has no ``Date``) exist for tests.
    """

    def __init__(
        self,
        *,
        base_url: str | httpx.URL = "",
        name: str = "The remote system",
        limits: RateLimit | None = None,
        limit_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        secret_headers: Iterable[str] = (),
        bucket_header: str | None = None,
        on_response: OnResponse | None = None,
        on_unauthorized: OnUnauthorized | None = None,
        follow_redirects: bool = False,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.name = name
        self.limits = limits or RateLimit()
        self.limit_key = limit_key
        self.retry = retry or RetryPolicy()
        self.secret_headers = tuple(secret_headers)
        self.bucket_header = bucket_header
        self._on_response = on_response
        self._on_unauthorized = on_unauthorized
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._limiter: ConnectionLimiter | None = None
        self._auth_lock = asyncio.Lock()
        self._credentials_generation = 0
        pool = httpx.Limits(max_connections=self.limits.max_concurrency or 100, max_keepalive_connections=20)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            limits=pool,
            follow_redirects=follow_redirects,
            verify=verify,
            transport=transport,
        )
        install_httpx_log_filter()

    async def __aenter__(self) -> Self:
        # The shared limiter belongs to the running event loop: look it up now, not mid-request.
        _ = self.limiter
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; the shared limiter stays for the connection's other clients."""
        await self._http.aclose()

    @property
    def headers(self) -> httpx.Headers:
        """The headers sent with every request; ``on_unauthorized`` updates the credential here."""
        return self._http.headers

    @property
    def limiter(self) -> ConnectionLimiter:
        """This connection's limiter (call from inside the event loop)."""
        if self._limiter is None:
            if self.limit_key is None:
                self._limiter = ConnectionLimiter(self.limits, clock=self._clock, sleep=self._sleep)
            else:
                self._limiter = limiter_for(self.limit_key, self.limits, clock=self._clock, sleep=self._sleep)
        return self._limiter

    def observe_bucket(self, filling: float, capacity: float | None = None) -> None:
        """Tell the pacer how full the remote says its bucket is (drops, out of ``capacity``)."""
        self.limiter.observe_bucket(filling, capacity)

    async def get(self, url: str | httpx.URL, **options: Unpack[RequestOptions]) -> httpx.Response:
        """``request("GET", url, ...)``."""
        return await self.request("GET", url, **options)

    async def post(self, url: str | httpx.URL, **options: Unpack[RequestOptions]) -> httpx.Response:
        """``request("POST", url, ...)``: not repeated after a lost answer unless ``retry_unsafe=True``."""
        return await self.request("POST", url, **options)

    async def put(self, url: str | httpx.URL, **options: Unpack[RequestOptions]) -> httpx.Response:
        """``request("PUT", url, ...)``."""
        return await self.request("PUT", url, **options)

    async def patch(self, url: str | httpx.URL, **options: Unpack[RequestOptions]) -> httpx.Response:
        """``request("PATCH", url, ...)``: not repeated after a lost answer unless ``retry_unsafe=True``."""
        return await self.request("PATCH", url, **options)

    async def delete(self, url: str | httpx.URL, **options: Unpack[RequestOptions]) -> httpx.Response:
        """``request("DELETE", url, ...)``."""
        return await self.request("DELETE", url, **options)

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        timeout: httpx.Timeout | float | None = None,  # noqa: ASYNC109 (httpx's per-phase timeouts)
        retry_unsafe: bool = False,
        cost: float = 1.0,
    ) -> httpx.Response:
        """Send a request within the connection's limits, retrying temporary failures.

        ``url`` is relative to ``base_url`` (or absolute). ``timeout`` overrides the client's for
        this request. ``retry_unsafe=True`` lets a non-idempotent request be sent again after a
        lost answer: only when it carries its own idempotency key. ``cost`` is the number of
        bucket drops the request is expected to take.

        Returns the response (fully read) unless it is a temporary failure or a 401; raises
        :class:`RetriableError`, :class:`AuthExpiredError`, or :class:`ConfigError` for a URL
        that is not http(s).
        """
        method = method.upper()
        may_repeat = retry_unsafe or method in IDEMPOTENT_METHODS
        limiter = self.limiter
        call: _Call | None = None
        while True:
            request = self._http.build_request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                content=content,
                data=data,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            if call is None:
                call = _Call(request, self.retry.budget, self._clock)
            call.request = request
            generation = self._credentials_generation
            try:
                async with limiter.slot(cost, deadline=call.deadline):
                    if call.started is None:
                        call.started = self._clock()
                    call.sent += 1
                    response, error, elapsed = await self._send(request)
            except WaitTooLong as waiting:
                raise RetriableError(
                    f"{self.name} asked us to slow down; the next request may go in {waiting.wait:.0f} s",
                    retry_after=waiting.wait,
                    details=self._details(call),
                ) from None

            if response is not None:
                self._observe(response, limiter)
                if response.status_code == 401:
                    if await self._may_resend_unauthorized(call, generation):
                        self._log(call, elapsed, "401", "credentials renewed, sending again")
                        continue
                    self._log(call, elapsed, "401")
                    raise AuthExpiredError(
                        f"{self.name} no longer accepts the saved credentials (HTTP 401): "
                        "reconnect the connection or replace them",
                        details=self._details(call, status=401),
                    )
                failure = classify_status(response, may_repeat=may_repeat, wall_clock=self._wall_clock)
                if failure is None:
                    self._log(call, elapsed, str(response.status_code))
                    return response
                outcome = str(response.status_code)
            else:
                assert error is not None
                failure = classify_error(error, may_repeat=may_repeat)
                outcome = type(error).__name__

            call.failures += 1
            wait = self._wait_before_retry(call, failure, limiter, elapsed, outcome)
            self._log(call, elapsed, outcome, f"retrying in {wait:.2f} s")
            await self._sleep(wait)

    async def _send(
        self, request: httpx.Request
    ) -> tuple[httpx.Response | None, httpx.TransportError | None, float]:
        started = self._clock()
        try:
            response = await self._http.send(request)
        except httpx.UnsupportedProtocol:
            msg = f"The address of {self.name} must start with http:// or https://"
            raise ConfigError(msg, details={"url": redact_url(request.url, self.secret_headers)}) from None
        except httpx.LocalProtocolError:
            raise  # our own malformed request: a bug, not the remote's doing
        except httpx.TransportError as exc:
            return None, exc, self._clock() - started
        return response, None, self._clock() - started

    def _wait_before_retry(
        self, call: _Call, failure: Failure, limiter: ConnectionLimiter, elapsed: float, outcome: str
    ) -> float:
        """How long to sleep before the next attempt, or the :class:`RetriableError` that ends the call."""
        retry_after = failure.retry_after
        if retry_after is not None and failure.pause_connection:
            limiter.pause(retry_after)
        message: str | None = None
        hint = retry_after
        if not failure.repeatable:
            message = (
                f"{self.name} {failure.reason}; the request was not sent again "
                "because it may already have been carried out"
            )
        elif call.failures >= self.retry.attempts:
            message = f"{self.name} {failure.reason} after {_attempts(call.sent)}"
        elif retry_after is not None and retry_after > call.remaining():
            message = f"{self.name} {failure.reason} and asked us to wait {retry_after:.0f} s"
        else:
            wait = (
                self.retry.honouring(retry_after)
                if retry_after is not None
                else self.retry.backoff(call.failures)
            )
            if wait <= call.remaining():
                return wait
            if retry_after is not None:
                return call.remaining()  # the jitter alone does not fit: wait exactly what was asked
            message, hint = f"{self.name} {failure.reason} after {_attempts(call.sent)}", wait
        self._log(call, elapsed, outcome, "giving up")
        details = self._details(call, status=failure.status, error=None if failure.status else outcome)
        raise RetriableError(message, retry_after=hint, details=details)

    async def _may_resend_unauthorized(self, call: _Call, generation: int) -> bool:
        """Renew the credentials once per call; concurrent 401s of this client renew only once."""
        if self._on_unauthorized is None or call.renewal_tried:
            return False
        call.renewal_tried = True
        async with self._auth_lock:
            if generation != self._credentials_generation:
                return True  # another request renewed them while this one was in flight
            if not await self._on_unauthorized():
                return False
            self._credentials_generation += 1
            return True

    def _observe(self, response: httpx.Response, limiter: ConnectionLimiter) -> None:
        if self.bucket_header is not None:
            value = response.headers.get(self.bucket_header)
            parsed = parse_bucket_filling(value) if value is not None else None
            if parsed is not None:
                limiter.observe_bucket(*parsed)
        if self._on_response is not None:
            self._on_response(response, limiter)

    def _details(self, call: _Call, *, status: int | None = None, error: str | None = None) -> dict[str, Any]:
        details: dict[str, Any] = {
            "method": call.request.method,
            "url": redact_url(call.request.url, self.secret_headers, keep_query_values=False),
            "attempts": call.sent,
        }
        if status is not None:
            details["status"] = status
        if error is not None:
            details["error"] = error
        return details

    def _log(self, call: _Call, elapsed: float, outcome: str, note: str = "") -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        method = call.request.method
        url = redact_url(call.request.url, self.secret_headers, keep_query_values=False)
        logger.debug(
            "%s: %s %s -> %s in %.0f ms (attempt %d)%s",
            self.name,
            method,
            url,
            outcome,
            elapsed * 1000,
            call.sent,
            f"; {note}" if note else "",
            extra={
                "connector": self.name,
                "http_method": method,
                "http_url": url,
                "http_outcome": outcome,
                "duration_ms": round(elapsed * 1000, 1),
                "attempt": call.sent,
            },
        )
