"""Scrubbing of secrets from log events before they are rendered.

Two layers: values under sensitive keys are replaced wholesale (at any depth), and every string
that survives is scanned for credentials embedded in text: ``key=value`` / ``"key": "value"``
pairs with a sensitive key (which covers URL query strings), ``Authorization`` schemes, cookie
headers and the password part of URLs (``scheme://user:password@host``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ("REDACTED", "is_sensitive_key", "redact_sensitive", "redact_value", "scrub_text")

REDACTED = "[redacted]"

# Matched against the key lower-cased with "-" and "_" removed, as substrings: "X-CSRFToken",
# "access_token", "clientSecret", "db_password", "Set-Cookie", "masterKeys" are all caught.
# Deliberately not plain "key": connectors, idempotency keys and cache keys are not secrets.
_SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "csrf",
    "credential",
    "private",
    "masterkey",
    "encryptionkey",
    "signingkey",
    "keymaterial",
    "session",
)
_SENSITIVE_KEYS_EXACT = frozenset({"auth", "pwd", "jwt"})

_KEY_NAME = (
    r"[A-Za-z0-9_\-]*"
    r"(?:password|passwd|passphrase|secret|token|api[_\-]?key|authorization|cookie|csrf|credential"
    r"|session|private[_\-]?key|master[_\-]?keys?)"
    r"[A-Za-z0-9_\-]*"
)
# A header line "Cookie: a=1; b=2" carries secrets up to the end of the line.
_COOKIE_HEADER = re.compile(r"(?im)\b((?:set-)?cookie\s*:\s*)[^\r\n\"']+")
# key=value, key: value, "key": "value", 'key': 'value'; the value may start with an auth scheme.
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?<![A-Za-z0-9])
    (?P<key>["']?{_KEY_NAME}["']?\s*[:=]\s*)
    (?:
        "(?P<dq>[^"]*)"
      | '(?P<sq>[^']*)'
      | (?P<bare>(?:(?:bearer|basic|digest|negotiate)\s+)?[^\s"'&,;}}\])]+)
    )
    """
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*")
# Case-sensitive on purpose: "basic" is an ordinary English word, the HTTP scheme is "Basic".
_BASIC = re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]+=*")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/:@]*:)[^\s/@]+@")

_MAX_DEPTH = 12


def is_sensitive_key(key: object) -> bool:
    """Whether values stored under ``key`` must never be logged (case, ``-`` and ``_`` ignored)."""
    normalized = str(key).lower().replace("-", "").replace("_", "")
    return normalized in _SENSITIVE_KEYS_EXACT or any(part in normalized for part in _SENSITIVE_KEY_PARTS)


def _replace_key_value(match: re.Match[str]) -> str:
    key = match.group("key")
    if match.group("dq") is not None:
        return f'{key}"{REDACTED}"'
    if match.group("sq") is not None:
        return f"{key}'{REDACTED}'"
    return f"{key}{REDACTED}"


def scrub_text(text: str) -> str:
    """``text`` with credentials embedded in it replaced by ``[redacted]``."""
    text = _COOKIE_HEADER.sub(rf"\g<1>{REDACTED}", text)
    text = _KEY_VALUE.sub(_replace_key_value, text)
    text = _BEARER.sub(rf"\g<1> {REDACTED}", text)
    text = _BASIC.sub(rf"\g<1> {REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", text)


def redact_value(value: Any, _depth: int = 0) -> Any:
    """A copy of ``value`` safe to log: sensitive keys masked at any depth, strings scrubbed.

    The caller's objects are never modified. Objects of other types are turned into their
    (scrubbed) string form, since their repr could carry a secret just as well.
    """
    result: Any
    if value is None or isinstance(value, bool | int | float):
        result = value
    elif isinstance(value, str):
        result = scrub_text(value)
    elif _depth >= _MAX_DEPTH:
        result = "[too deep]"
    elif isinstance(value, Mapping):
        result = {key: _redact_entry(key, item, _depth + 1) for key, item in value.items()}
    elif isinstance(value, list | tuple | set | frozenset):
        result = [redact_value(item, _depth + 1) for item in value]
    elif isinstance(value, bytes | bytearray):
        result = scrub_text(bytes(value).decode("utf-8", "replace"))
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        result = value.isoformat()
    else:
        result = scrub_text(str(value))
    return result


def _redact_entry(key: object, value: Any, depth: int) -> Any:
    # None and booleans say whether something is set, never what it is.
    if is_sensitive_key(key) and value is not None and not isinstance(value, bool):
        return REDACTED
    return redact_value(value, depth)


def redact_sensitive(_logger: Any, _method_name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """structlog processor: the event with every secret replaced by ``[redacted]``.

    Runs after exceptions are formatted (tracebacks are text by then and get scrubbed too) and
    right before the renderer.
    """
    return {key: _redact_entry(key, value, 0) for key, value in event_dict.items()}
