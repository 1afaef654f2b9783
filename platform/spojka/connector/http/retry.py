"""When a request may be sent again, how long to wait first, and how to say why in plain words."""

from __future__ import annotations

import math
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import httpx

__all__ = (
    "IDEMPOTENT_METHODS",
    "Failure",
    "RetryPolicy",
    "classify_error",
    "classify_status",
    "parse_http_date",
    "parse_retry_after",
    "retry_after_seconds",
)

# RFC 9110 §9.2.2: sending these twice has the effect of sending them once.
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How hard to try one request before giving the problem back to the engine.

    ``attempts`` counts sends that ended in a temporary failure; ``budget`` (seconds) bounds the time
    from the first send to the last, including waits. A wait that would not fit the budget is not
    slept: :class:`~spojka.connector.errors.RetriableError` is raised with ``retry_after`` so the
    engine can come back later without holding a worker.
    """

    attempts: int = 4
    budget: float = 60.0
    # Capped exponential backoff with full jitter: uniform(0, min(cap, base * 2 ** (n - 1))).
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    # Added on top of a Retry-After, so that clients told the same date do not all come back at once.
    retry_after_jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.budget < 0 or self.backoff_base < 0 or self.backoff_cap < 0:
            msg = "attempts must be at least 1 and times may not be negative"
            raise ValueError(msg)

    def backoff(self, failures: int) -> float:
        """The wait after the ``failures``-th temporary failure when the remote named none."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (failures - 1))
        return ceiling * self.random()

    def honouring(self, retry_after: float) -> float:
        """The wait when the remote named one: never shorter, a little jitter longer."""
        return retry_after + self.retry_after_jitter * self.random()


@dataclass(frozen=True, slots=True)
class Failure:
    """A temporary failure of one attempt."""

    reason: str  # completes "<system> ...", e.g. "did not answer (timeout)"
    repeatable: bool  # safe to send the same request again
    retry_after: float | None = None  # seconds the remote asked us to wait
    pause_connection: bool = False  # the wait applies to every request of the connection
    status: int | None = None


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date (``Mon, 01 Jul 2024 12:01:11 GMT``) as an aware datetime, or ``None``."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "UTC, source unknown"; parsedate_to_datetime returns it naive.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_retry_after(value: str, *, now: datetime) -> float | None:
    """``Retry-After`` in seconds from ``now``: delta seconds (``120``) or an HTTP date.

    ``None`` if the value is neither; a date in the past gives ``0``.
    """
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        when = parse_http_date(text)
        if when is None:
            return None
        return max(0.0, (when - now).total_seconds())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_after_seconds(headers: httpx.Headers, wall_clock: Callable[[], datetime]) -> float | None:
    """The response's ``Retry-After`` in seconds.

    A date is measured from the response's own ``Date`` when it has one, so that a remote whose
    clock differs from ours still gets the wait it meant.
    """
    value = headers.get("retry-after")
    if value is None:
        return None
    reference = parse_http_date(headers.get("date")) or wall_clock()
    return parse_retry_after(value, now=reference)


# status -> (reason, repeatable even for a non-idempotent request, wait applies to the connection)
_RETRY_STATUSES: Final[dict[int, tuple[str, bool, bool]]] = {
    # Refused before doing anything: safe to send again whatever the method.
    429: ("is limiting our requests (HTTP 429)", True, True),
    503: ("is unavailable (HTTP 503)", True, True),
    423: ("reports the record locked by another change (HTTP 423)", True, False),
    # A gateway cannot tell whether the server behind it carried the request out.
    502: ("answered with a gateway error (HTTP 502)", False, False),
    504: ("did not answer in time (HTTP 504)", False, False),
}


def classify_status(
    response: httpx.Response, *, may_repeat: bool, wall_clock: Callable[[], datetime]
) -> Failure | None:
    """The temporary failure a response stands for, or ``None`` if it goes back to the connector."""
    known = _RETRY_STATUSES.get(response.status_code)
    if known is None:
        return None
    reason, always, pause = known
    return Failure(
        reason,
        repeatable=always or may_repeat,
        retry_after=retry_after_seconds(response.headers, wall_clock),
        pause_connection=pause,
        status=response.status_code,
    )


def classify_error(exc: httpx.TransportError, *, may_repeat: bool) -> Failure:
    """The temporary failure of an attempt that got no answer."""
    # Nothing was sent yet: any method may be tried again.
    if isinstance(exc, httpx.ConnectTimeout):
        return Failure("could not be reached (connection timeout)", repeatable=True)
    if isinstance(exc, httpx.PoolTimeout):
        return Failure("could not be reached (no free connection in time)", repeatable=True)
    if isinstance(exc, httpx.ConnectError):
        return Failure(f"could not be reached ({_connect_cause(exc)})", repeatable=True)
    # The request may have arrived and been carried out.
    if isinstance(exc, httpx.TimeoutException):
        return Failure("did not answer (timeout)", repeatable=may_repeat)
    return Failure("closed the connection without answering", repeatable=may_repeat)


def _connect_cause(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(cause, ssl.SSLError):
            return "the secure connection failed"
        cause = cause.__cause__ or cause.__context__
    return "the connection failed"
