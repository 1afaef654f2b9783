"""Role checks: anyone in the tenant may read; changing anything needs ``admin`` unless a route
says otherwise."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from spojka.auth.principal import Principal, Role
from spojka.http.problems import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Route option ``min_role`` sets the role needed; the default depends on the method."""
    method = connection.scope.get("method", "GET")
    if handler.opt.get("exclude_from_auth") or method == "OPTIONS":
        return
    # Read the scope, not ``connection.user``: that raises where no auth middleware ran.
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        return
    default: Role = "viewer" if method in SAFE_METHODS else "admin"
    minimum: Role = handler.opt.get("min_role", default)
    if not principal.has_role(minimum):
        raise Forbidden(f"This needs the {minimum} role; you are {principal.role}.")
