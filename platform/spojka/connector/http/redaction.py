"""Keeping credentials out of logs: secret header values, secret query values, URL passwords."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Final
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit, urlunsplit

import httpx

__all__ = (
    "DEFAULT_SECRET_NAMES",
    "REDACTED",
    "install_httpx_log_filter",
    "is_secret_name",
    "redact_headers",
    "redact_url",
)

REDACTED: Final = "[redacted]"

# Matched as substrings of the lower-cased name, so "Shoptet-Private-API-Token", "STW-Authorization",
# "X-Api-Key", "client_secret" and "Set-Cookie" are all caught. Over-redacting (an "Idempotency-Key")
# costs nothing; under-redacting leaks a credential into every log sink.
DEFAULT_SECRET_NAMES: Final[tuple[str, ...]] = (
    "authorization",
    "cookie",
    "token",
    "auth",
    "key",
    "secret",
    "password",
    "passwd",
    "signature",
    "session",
    "credential",
)


def is_secret_name(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether a header or query parameter called ``name`` carries a secret.

    ``extra`` adds exact names (case-insensitive) to the built-in substring rules.
    """
    lowered = name.lower()
    if any(part in lowered for part in DEFAULT_SECRET_NAMES):
        return True
    return any(lowered == e.lower() for e in extra)


def redact_headers(headers: Mapping[str, str] | httpx.Headers, extra: Iterable[str] = ()) -> dict[str, str]:
    """A copy of ``headers`` whose secret values are replaced by ``[redacted]``."""
    names = tuple(extra)
    return {k: (REDACTED if is_secret_name(k, names) else v) for k, v in headers.items()}


def redact_url(url: str | httpx.URL, extra: Iterable[str] = (), *, keep_query_values: bool = True) -> str:
    """``url`` without its password, fragment and the values of secret query parameters.

    With ``keep_query_values=False`` every query value is dropped and only the names remain
    (``/api/orders?page=…&status=…``): the form the request log uses, since a value that is not
    named like a secret may still be one (a signed link, a customer's e-mail).
    """
    parts = urlsplit(str(url))
    names = tuple(extra)
    userinfo, at, netloc = parts.netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}{':' + REDACTED if colon else ''}@{netloc}"
    query_items = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if not keep_query_values:
            shown = "…"
        elif is_secret_name(name, names):
            shown = REDACTED
        else:
            shown = quote(value, safe="")
        query_items.append(f"{quote(name, safe='')}={shown}")
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, "&".join(query_items), ""))


class _HttpxUrlFilter(logging.Filter):
    """Rewrites the URL httpx logs at INFO ("HTTP Request: GET <url> ...") into its redacted form."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                redact_url(a, keep_query_values=False) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


_HTTPX_FILTER: Final = _HttpxUrlFilter()


def install_httpx_log_filter() -> None:
    """Make httpx's own request log line safe in any process that uses the connector client.

    The platform keeps the ``httpx`` logger at WARNING anyway; this covers processes (tests, a
    connector developer's script) that turn it up.
    """
    logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in logger.filters:
        logger.addFilter(_HTTPX_FILTER)
