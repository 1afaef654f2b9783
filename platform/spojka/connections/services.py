"""Connections: create, read, change, delete, check. Secrets go to the vault and never come back out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.connections.models import Connection
from spojka.connections.schemas import ConnectionIn, ConnectionPatch
from spojka.connections.validation import only_credentials, validate_credentials, validate_settings
from spojka.connections.webhooks import ensure_endpoint
from spojka.connector import CheckResult, ConnectorSpec
from spojka.connector.capabilities import ORDERS_WEBHOOK
from spojka.connector.registry import Registry
from spojka.db import utcnow
from spojka.http.problems import Conflict, Invalid, NotFound
from spojka.links.models import Link
from spojka.vault import SecretStore

CHECK_TIMEOUT_SECONDS = 30


def spec_for(registry: Registry, key: str) -> ConnectorSpec:
    entry = registry.get(key)
    if entry is None:
        raise Invalid(f"There is no connector {key!r}. See GET /api/v1/connectors for the ones installed.")
    if entry.spec is None:
        raise Invalid(f"The connector {key!r} is installed but unavailable: {entry.error}")
    return entry.spec


async def get(session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> Connection:
    conn = await session.scalar(
        select(Connection).where(Connection.tenant_id == tenant_id, Connection.id == connection_id)
    )
    if conn is None:
        raise NotFound("No such connection.")
    return conn


async def page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Connection], int]:
    where = Connection.tenant_id == tenant_id
    total = await session.scalar(select(func.count()).select_from(Connection).where(where)) or 0
    rows = await session.scalars(
        select(Connection)
        .where(where)
        .order_by(Connection.created_at, Connection.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


async def _name_taken(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> bool:
    query = select(Connection.id).where(Connection.tenant_id == tenant_id, Connection.name == name)
    if exclude is not None:
        query = query.where(Connection.id != exclude)
    return await session.scalar(query) is not None


async def create(
    session: AsyncSession, registry: Registry, store: SecretStore, actor: Principal, data: ConnectionIn
) -> Connection:
    spec = spec_for(registry, data.connector)
    validate_settings(spec, data.settings)
    validate_credentials(spec, data.credentials)
    name = data.name.strip()
    if await _name_taken(session, actor.tenant_id, name, None):
        raise Conflict(f"A connection named {name!r} already exists.")
    conn = Connection(tenant_id=actor.tenant_id, connector=spec.key, name=name, settings=dict(data.settings))
    session.add(conn)
    await session.flush()
    await store.put(session, actor.tenant_id, conn.id, dict(data.credentials))
    if ORDERS_WEBHOOK in spec.capabilities:
        await ensure_endpoint(session, store, actor.tenant_id, conn.id)
    await record(
        session,
        actor,
        "connection.created",
        "connection",
        conn.id,
        {"name": name, "connector": spec.key, "credentialsSet": sorted(data.credentials)},
    )
    return conn


async def update(
    session: AsyncSession,
    registry: Registry,
    store: SecretStore,
    actor: Principal,
    connection_id: uuid.UUID,
    data: ConnectionPatch,
) -> Connection:
    conn = await get(session, actor.tenant_id, connection_id)
    spec = spec_for(registry, conn.connector)
    changed: dict[str, Any] = {}
    if data.settings is not msgspec.UNSET:
        validate_settings(spec, data.settings)
        conn.settings = dict(data.settings)
        changed["settings"] = True
    if data.name is not msgspec.UNSET:
        name = data.name.strip()
        if await _name_taken(session, actor.tenant_id, name, conn.id):
            raise Conflict(f"A connection named {name!r} already exists.")
        changed["name"] = {"from": conn.name, "to": name}
        conn.name = name
    if data.credentials is not msgspec.UNSET:
        await _replace_credentials(session, spec, store, actor.tenant_id, conn.id, data.credentials)
        changed["credentialsChanged"] = sorted(data.credentials)
    if changed:
        conn.updated_at = utcnow()
        # Changed settings or secrets make the last check meaningless.
        conn.last_check_at = conn.last_check_ok = conn.last_check_message = None
        await record(session, actor, "connection.updated", "connection", conn.id, changed)
    await session.flush()
    return conn


async def _replace_credentials(
    session: AsyncSession,
    spec: ConnectorSpec,
    store: SecretStore,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID,
    changes: Mapping[str, str | None],
) -> None:
    known = set(spec.credentials_schema.get("properties", {}))
    unknown = sorted(field for field in changes if field not in known)
    if unknown:
        errors = [
            {"path": f"/credentials/{f}", "message": "not a credential of this connector"} for f in unknown
        ]
        raise Invalid(f"The credentials do not fit {spec.title}.", extra={"errors": errors})
    current = only_credentials(spec, await store.get(session, tenant_id, owner_id))
    merged = {**current, **{k: v for k, v in changes.items() if v is not None}}
    for field, value in changes.items():
        if value is None:
            merged.pop(field, None)
    validate_credentials(spec, merged)
    await store.put(session, tenant_id, owner_id, dict(changes))


async def delete(
    session: AsyncSession, store: SecretStore, actor: Principal, connection_id: uuid.UUID
) -> None:
    conn = await get(session, actor.tenant_id, connection_id)
    used_by = await session.scalar(
        select(Link.name).where(
            Link.tenant_id == actor.tenant_id,
            or_(Link.eshop_connection_id == conn.id, Link.accounting_connection_id == conn.id),
        )
    )
    if used_by is not None:
        raise Conflict(f"The link {used_by!r} uses this connection. Delete the link first.")
    await store.delete_owner(session, actor.tenant_id, conn.id)
    await session.delete(conn)
    await record(session, actor, "connection.deleted", "connection", conn.id, {"name": conn.name})
    await session.flush()


async def check(
    session: AsyncSession, registry: Registry, store: SecretStore, actor: Principal, connection_id: uuid.UUID
) -> tuple[Connection, CheckResult, bool]:
    """Ask the connector whether the settings and credentials work; remember the answer. The flag
    says whether it just stopped working (it failed now and had not failed before)."""
    conn = await get(session, actor.tenant_id, connection_id)
    failing_before = conn.last_check_ok is False
    entry = registry.get(conn.connector)
    if entry is None or entry.connector is None:
        result = CheckResult(
            ok=False, message=f"The connector {conn.connector!r} is not available on this server."
        )
    else:
        credentials = only_credentials(
            entry.connector.spec, await store.get(session, actor.tenant_id, conn.id)
        )
        try:
            result = await asyncio.wait_for(
                entry.connector.check(dict(conn.settings), credentials), CHECK_TIMEOUT_SECONDS
            )
        except TimeoutError:
            result = CheckResult(ok=False, message=f"No answer within {CHECK_TIMEOUT_SECONDS} seconds.")
        except Exception as exc:  # a plugin's failure is the user's information, not our 500
            result = CheckResult(ok=False, message=f"The check failed: {type(exc).__name__}.")
    conn.last_check_at = utcnow()
    conn.last_check_ok = result.ok
    conn.last_check_message = result.message
    await session.flush()
    return conn, result, not result.ok and not failing_before
