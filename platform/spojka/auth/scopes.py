"""Scopes of machine callers (partner tokens, tenant API keys), and which one each route needs.

A signed-in user is limited by their role only. A machine caller is limited by its role (``admin``)
*and* by the scopes of its token or key: a tenant route needs the scope its path and method map to
here, and a route this table does not list (sign-in, members, API keys...) is not open to machine
callers at all. Partner routes (``/partner/v1``) name their scope in the handler option
``partner_scope``.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from spojka.auth.principal import PartnerCaller, Principal
from spojka.http.problems import Forbidden

#: Every scope a partner client or an API key can hold, with what it allows.
SCOPES: dict[str, str] = {
    "tenants:read": "List and read the tenants (companies) the partner manages; read the tenant.",
    "tenants:write": "Create and suspend client tenants, invite their owners; rename the tenant.",
    "connections:read": "Read connections (never their secrets).",
    "connections:write": "Create, change, check and delete connections.",
    "links:read": "Read links and their flow settings.",
    "links:write": "Create, change and delete links.",
    "runs:read": "Read runs and their per-record events.",
    "runs:write": "Start runs.",
    "audit:read": "Read the tenant's audit log.",
    "events:read": "Read event endpoints and their delivery log.",
    "events:write": "Register and remove event endpoints.",
    "clients:write": "Create and revoke the partner's own OAuth2 clients.",
}
#: Scopes a tenant API key may hold (partner-level ones make no sense for a tenant's own key).
API_KEY_SCOPES = frozenset(SCOPES) - {"clients:write"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# (path pattern, scope for reads, scope for changes); the first match wins.
_TENANT_ROUTES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/api/v1/tenant$"), "tenants:read", "tenants:write"),
    (re.compile(r"^/api/v1/connections(/|$)"), "connections:read", "connections:write"),
    (re.compile(r"^/api/v1/links/[^/]+/runs$"), "runs:read", "runs:write"),
    (re.compile(r"^/api/v1/links(/|$)"), "links:read", "links:write"),
    (re.compile(r"^/api/v1/runs(/|$)"), "runs:read", "runs:write"),
    (re.compile(r"^/api/v1/audit$"), "audit:read", "audit:read"),
    (re.compile(r"^/api/v1/event-(endpoints|deliveries)(/|$)"), "events:read", "events:write"),
]


def parse_scopes(text: str | None) -> frozenset[str]:
    """Space-separated scopes (RFC 6749 section 3.3) as a set; empty text is the empty set."""
    return frozenset(part for part in (text or "").split() if part)


def unknown_scopes(scopes: frozenset[str], allowed: frozenset[str] | None = None) -> list[str]:
    return sorted(scopes - (allowed if allowed is not None else frozenset(SCOPES)))


def tenant_route_scope(path_template: str, method: str) -> str | None:
    """The scope a machine caller needs for this tenant route, or None when it may not call it."""
    for pattern, read, write in _TENANT_ROUTES:
        if pattern.search(path_template):
            return read if method in SAFE_METHODS else write
    return None


def scope_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Refuse (403) a machine caller whose token or key lacks the route's scope."""
    method = str(connection.scope.get("method", "GET"))
    if handler.opt.get("exclude_from_auth") or method == "OPTIONS":
        return
    caller = connection.scope.get("user")
    partner_scope = handler.opt.get("partner_scope")
    if partner_scope is not None:
        if isinstance(caller, Principal):
            raise Forbidden(
                "The partner API needs a partner's access token (the partner role): "
                "get one at POST /oauth/token; a dashboard session or API key cannot call it."
            )
        if isinstance(caller, PartnerCaller) and not caller.has_scope(partner_scope):
            raise Forbidden(f"This needs the scope {partner_scope}; ask for it when you request the token.")
        return
    if isinstance(caller, PartnerCaller):
        raise Forbidden("Name the tenant you act for in the Spojka-Tenant header.")
    if not isinstance(caller, Principal) or not caller.is_machine:
        return
    template = next(iter(handler.paths), "")
    needed = tenant_route_scope(template, method)
    if needed is None:
        raise Forbidden("This route is for signed-in users of the dashboard; API clients cannot call it.")
    if not caller.has_scope(needed):
        raise Forbidden(f"This needs the scope {needed}; your token or key does not have it.")
