"""The caller's address, believing X-Forwarded-For only from configured proxies."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection


def client_ip(connection: ASGIConnection[Any, Any, Any, Any], trusted_proxies: frozenset[str]) -> str:
    peer = connection.client.host if connection.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = connection.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Walk from the nearest hop back; the first address that is not our own proxy is the client.
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return peer
