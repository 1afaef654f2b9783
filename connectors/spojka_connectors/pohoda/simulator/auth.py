"""mServer authentication: ``STW-Authorization: Basic base64(user:password)`` in Windows-1250."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from typing import Final

from spojka_connectors.pohoda.simulator.state import State

CODEPAGE: Final = "cp1250"


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The raw value of a header (ASGI headers are lower-case bytes)."""
    return next((v for k, v in headers if k.lower() == name), None)


def credentials(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """User name and password from the raw header bytes (Windows-1250 text, not Latin-1)."""
    raw = header(headers, b"stw-authorization")
    if raw is None or not raw.startswith(b"Basic "):
        return None
    try:
        decoded = base64.b64decode(raw[len(b"Basic ") :].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.decode(CODEPAGE, errors="replace").partition(":")
    return (username, password) if sep else None


def authenticated(headers: Iterable[tuple[bytes, bytes]], state: State) -> bool:
    """Whether the request names the mServer's user with the right password."""
    given = credentials(headers)
    if given is None:
        return False
    user_ok = hmac.compare_digest(given[0].encode(), state.username.encode())
    password_ok = hmac.compare_digest(given[1].encode(), state.password.encode())
    return user_ok and password_ok
