"""The OpenAPI security schemes of machine callers, and which operations accept them.

- ``session``: the dashboard's cookie (declared by the app).
- ``partnerOAuth``: OAuth 2.0 client credentials at ``/oauth/token``; the scopes are ``auth.scopes``.
  On ``/api/v1`` a partner token also names the tenant in the ``Spojka-Tenant`` header.
- ``apiKey``: a tenant's API key, sent as ``Authorization: Bearer spk_...``.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OAuthFlow, OAuthFlows, SecurityScheme

from spojka.auth.scopes import API_KEY_SCOPES, SCOPES, tenant_route_scope

SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    "partnerOAuth": SecurityScheme(
        type="oauth2",
        description=(
            "A partner's OAuth 2.0 client (client credentials). On /api/v1 routes, name the tenant "
            "you act for in the Spojka-Tenant header."
        ),
        flows=OAuthFlows(
            client_credentials=OAuthFlow(token_url="/oauth/token", scopes=dict(SCOPES)),  # noqa: S106
        ),
    ),
    "apiKey": SecurityScheme(
        type="http",
        scheme="bearer",
        description="A tenant's API key (spk_...), created in the dashboard, sent as a bearer token.",
    ),
}


def document_security(app: Litestar, route_handlers: Iterable[object]) -> None:
    """Set each operation's security: partner routes take partner tokens only; tenant routes a
    session, or a partner token or API key with the scope the route needs."""
    by_id: dict[str, list[dict[str, list[str]]]] = {}
    for handler in route_handlers:
        if not isinstance(handler, HTTPRouteHandler) or handler.opt.get("exclude_from_auth"):
            continue
        if not isinstance(handler.operation_id, str):
            continue
        partner_scope = handler.opt.get("partner_scope")
        if partner_scope is not None:
            by_id[handler.operation_id] = [{"partnerOAuth": [partner_scope]}]
            continue
        path = next(iter(handler.paths))
        scope = tenant_route_scope(path, str(next(iter(sorted(handler.http_methods)))))
        if scope is None:
            continue
        security: list[dict[str, list[str]]] = [{"session": []}, {"partnerOAuth": [scope]}]
        if scope in API_KEY_SCOPES:
            security.append({"apiKey": []})
        by_id[handler.operation_id] = security
    for path_item in (app.openapi_schema.paths or {}).values():
        for verb in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, verb, None)
            if operation is not None and operation.operation_id in by_id:
                operation.security = by_id[operation.operation_id]
