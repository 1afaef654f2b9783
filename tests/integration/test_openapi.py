"""The OpenAPI document: every route has an explicit operation id and is described."""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler


def test_every_route_has_an_explicit_unique_operation_id(app: Litestar) -> None:
    seen: dict[str, str] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or route.path.startswith("/schema"):
                continue
            if handler.http_methods == {"OPTIONS"}:  # Litestar's automatic CORS preflight handler
                continue
            assert isinstance(handler.operation_id, str), (
                f"{route.path} {handler.http_methods} has no operation_id"
            )
            assert handler.operation_id not in seen, f"{handler.operation_id} used twice"
            seen[handler.operation_id] = route.path
    assert "signup" in seen
    assert "createConnection" in seen


def test_schema_is_served_with_docstrings(app: Litestar) -> None:
    schema = app.openapi_schema.to_schema()
    operations = [op for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations
    for op in operations:
        assert op.get("operationId"), op
        assert op.get("description") or op.get("summary"), op["operationId"]
