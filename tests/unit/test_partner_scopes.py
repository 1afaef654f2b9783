"""Which scope a machine caller needs for each tenant route, and the routes closed to it."""

from __future__ import annotations

import pytest

from spojka.auth.scopes import API_KEY_SCOPES, SCOPES, parse_scopes, tenant_route_scope, unknown_scopes


@pytest.mark.parametrize(
    ("path", "method", "scope"),
    [
        ("/api/v1/tenant", "GET", "tenants:read"),
        ("/api/v1/tenant", "PATCH", "tenants:write"),
        ("/api/v1/connections", "GET", "connections:read"),
        ("/api/v1/connections/{connection_id:uuid}/check", "POST", "connections:write"),
        ("/api/v1/links", "POST", "links:write"),
        ("/api/v1/links/{link_id:uuid}", "DELETE", "links:write"),
        ("/api/v1/links/{link_id:uuid}/runs", "GET", "runs:read"),
        ("/api/v1/links/{link_id:uuid}/runs", "POST", "runs:write"),
        ("/api/v1/runs/{run_id:uuid}/events", "GET", "runs:read"),
        ("/api/v1/audit", "GET", "audit:read"),
        ("/api/v1/event-endpoints", "POST", "events:write"),
        ("/api/v1/event-deliveries", "GET", "events:read"),
    ],
)
def test_tenant_routes_map_to_scopes(path: str, method: str, scope: str) -> None:
    assert tenant_route_scope(path, method) == scope


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me",
        "/api/v1/members",
        "/api/v1/invitations",
        "/api/v1/auth/switch-tenant",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{api_key_id:uuid}",
        "/api/v1/tenants",  # not /api/v1/tenant: a prefix must not open a neighbour
        "/api/v1/linksx",
    ],
)
def test_routes_for_people_are_closed_to_machines(path: str) -> None:
    assert tenant_route_scope(path, "GET") is None
    assert tenant_route_scope(path, "POST") is None


def test_scope_parsing_and_checks() -> None:
    assert parse_scopes("  runs:read   tenants:read ") == frozenset({"runs:read", "tenants:read"})
    assert parse_scopes(None) == frozenset()
    assert unknown_scopes(frozenset({"runs:read", "root"})) == ["root"]
    assert "clients:write" in SCOPES
    assert "clients:write" not in API_KEY_SCOPES
