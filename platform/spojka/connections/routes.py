"""``/api/v1/connectors`` and ``/api/v1/connections``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.auth.principal import Principal
from spojka.connections import services
from spojka.connections.models import Connection
from spojka.connections.schemas import (
    CheckOut,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    ConnectorOut,
    WebhooksOut,
)
from spojka.connections.webhooks import webhook_url
from spojka.connector import secret_fields
from spojka.connector.registry import Registry
from spojka.db import utcnow
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.schemas import Page
from spojka.partners.jobs import emit_connection_attention
from spojka.vault import SecretStore


def _registry(request: Request[Any, Any, Any]) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def _store(request: Request[Any, Any, Any]) -> SecretStore:
    store: SecretStore = request.app.state.secret_store
    return store


async def _out(request: Request[Any, Any, Any], session: AsyncSession, conn: Connection) -> ConnectionOut:
    entry = _registry(request).get(conn.connector)
    spec = entry.spec if entry else None
    states = await _store(request).states(session, conn.tenant_id, conn.id)
    # Only the connector's credential fields: the vault also holds the connection's own state.
    fields = set(secret_fields(spec)) if spec else set()
    last = None
    if conn.last_check_at is not None:
        last = CheckOut(
            ok=bool(conn.last_check_ok), message=conn.last_check_message or "", checked_at=conn.last_check_at
        )
    return ConnectionOut(
        id=conn.id,
        connector=conn.connector,
        kind=spec.kind if spec else None,
        name=conn.name,
        settings=conn.settings,
        credentials={f: "set" if states.get(f) else "unset" for f in sorted(fields)},
        last_check=last,
        webhook_url=await webhook_url(
            session, _store(request), request.app.state.settings.effective_public_url, conn.tenant_id, conn.id
        ),
        webhooks=None
        if conn.webhooks_at is None
        else WebhooksOut(
            ok=bool(conn.webhooks_ok), message=conn.webhooks_message or "", registered_at=conn.webhooks_at
        ),
        created_at=conn.created_at,
        updated_at=conn.updated_at,
    )


@get(
    "/api/v1/connectors", operation_id="listConnectors", tags=["connectors"], opt={"exclude_from_auth": True}
)
async def list_connectors(request: Request[Any, Any, Any]) -> Page[ConnectorOut]:
    """Installed connectors with their capabilities and the JSON Schemas of settings and credentials."""
    items = []
    for entry in _registry(request):
        spec = entry.spec
        items.append(
            ConnectorOut(
                key=entry.key,
                kind=spec.kind if spec else None,
                title=spec.title if spec else entry.key,
                description=spec.description if spec else "",
                translations=spec.translations if spec else {},
                capabilities=list(spec.capabilities) if spec else [],
                settings_schema=spec.settings_schema if spec else {},
                credentials_schema=spec.credentials_schema if spec else {},
                auth_mode=spec.auth_mode if spec else None,
                simulated=spec.simulated if spec else False,
                available=entry.available,
                error=entry.error,
            )
        )
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@get("/api/v1/connections", operation_id="listConnections", tags=["connections"])
async def list_connections(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[ConnectionOut]:
    """The company's connections; secrets appear only as set or unset."""
    rows, total = await services.page(db_session, principal.tenant_id, limit=limit, offset=offset)
    items = [await _out(request, db_session, c) for c in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@post(
    "/api/v1/connections", operation_id="createConnection", tags=["connections"], status_code=HTTP_201_CREATED
)
async def create_connection(
    request: Request[Any, Any, Any],
    data: JSONBody[ConnectionIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ConnectionOut:
    """Connect a system: settings are validated against the connector's schema, credentials sealed."""
    conn = await services.create(db_session, _registry(request), _store(request), principal, data)
    return await _out(request, db_session, conn)


@get("/api/v1/connections/{connection_id:uuid}", operation_id="getConnection", tags=["connections"])
async def get_connection(
    request: Request[Any, Any, Any],
    connection_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ConnectionOut:
    """One connection."""
    conn = await services.get(db_session, principal.tenant_id, connection_id)
    return await _out(request, db_session, conn)


@patch("/api/v1/connections/{connection_id:uuid}", operation_id="updateConnection", tags=["connections"])
async def update_connection(
    request: Request[Any, Any, Any],
    connection_id: FromPath[uuid.UUID],
    data: JSONBody[ConnectionPatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> ConnectionOut:
    """Rename, replace settings, or set and clear credential fields."""
    conn = await services.update(
        db_session, _registry(request), _store(request), principal, connection_id, data
    )
    return await _out(request, db_session, conn)


@delete(
    "/api/v1/connections/{connection_id:uuid}",
    operation_id="deleteConnection",
    tags=["connections"],
    status_code=HTTP_204_NO_CONTENT,
)
async def delete_connection(
    request: Request[Any, Any, Any],
    connection_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Delete a connection and its sealed credentials (refused while a link uses it)."""
    await services.delete(db_session, _store(request), principal, connection_id)


@post(
    "/api/v1/connections/{connection_id:uuid}/check",
    operation_id="checkConnection",
    tags=["connections"],
    status_code=HTTP_200_OK,
)
async def check_connection(
    request: Request[Any, Any, Any],
    connection_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Response[CheckOut]:
    """Try the connection now and say in plain words whether it works."""
    conn, result, broke = await services.check(
        db_session, _registry(request), _store(request), principal, connection_id
    )
    answer = CheckOut(
        ok=result.ok,
        message=result.message,
        details=result.details,
        checked_at=conn.last_check_at or utcnow(),
    )
    if not broke:
        return Response(answer)
    # Told after this request's transaction has committed (SQLite would make the event wait on it).
    notify = BackgroundTask(
        emit_connection_attention,
        request.app.state.db,
        request.app.state.queue,
        principal.tenant_id,
        conn.id,
        name=conn.name,
        connector=conn.connector,
        message=result.message,
    )
    return Response(answer, background=notify)


ROUTES = [
    list_connectors,
    list_connections,
    create_connection,
    get_connection,
    update_connection,
    delete_connection,
    check_connection,
]
