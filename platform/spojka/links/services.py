"""Links: pair an e-shop connection with an accounting connection of the same tenant."""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.connections.models import Connection
from spojka.connector.registry import Registry
from spojka.http.problems import Conflict, Invalid, NotFound
from spojka.links.flows import flows_to_document
from spojka.links.models import Link
from spojka.links.schemas import LinkIn, LinkPatch


async def get(session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID) -> Link:
    link = await session.scalar(select(Link).where(Link.tenant_id == tenant_id, Link.id == link_id))
    if link is None:
        raise NotFound("No such link.")
    return link


async def page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Link], int]:
    where = Link.tenant_id == tenant_id
    total = await session.scalar(select(func.count()).select_from(Link).where(where)) or 0
    rows = await session.scalars(
        select(Link).where(where).order_by(Link.created_at, Link.id).limit(limit).offset(offset)
    )
    return list(rows), total


async def _connection_of_kind(
    session: AsyncSession,
    registry: Registry,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    kind: str,
    field: str,
) -> Connection:
    conn = await session.scalar(
        select(Connection).where(Connection.tenant_id == tenant_id, Connection.id == connection_id)
    )
    if conn is None:
        raise Invalid(
            f"{field}: no such connection.",
            extra={"errors": [{"path": f"/{field}", "message": "no such connection"}]},
        )
    entry = registry.get(conn.connector)
    actual = entry.spec.kind if entry and entry.spec else None
    if actual != kind:
        message = f"{field}: {conn.name!r} is not an {kind} connection" + (
            f" (it is {actual})" if actual else ""
        )
        raise Invalid(message, extra={"errors": [{"path": f"/{field}", "message": message}]})
    return conn


async def _name_taken(
    session: AsyncSession, tenant_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> bool:
    query = select(Link.id).where(Link.tenant_id == tenant_id, Link.name == name)
    if exclude is not None:
        query = query.where(Link.id != exclude)
    return await session.scalar(query) is not None


async def create(session: AsyncSession, registry: Registry, actor: Principal, data: LinkIn) -> Link:
    eshop = await _connection_of_kind(
        session, registry, actor.tenant_id, data.eshop_connection_id, "eshop", "eshopConnectionId"
    )
    accounting = await _connection_of_kind(
        session,
        registry,
        actor.tenant_id,
        data.accounting_connection_id,
        "accounting",
        "accountingConnectionId",
    )
    name = data.name.strip()
    if await _name_taken(session, actor.tenant_id, name, None):
        raise Conflict(f"A link named {name!r} already exists.")
    link = Link(
        tenant_id=actor.tenant_id,
        name=name,
        eshop_connection_id=eshop.id,
        accounting_connection_id=accounting.id,
        flows=flows_to_document(data.flows),
        paused=data.paused,
    )
    session.add(link)
    await session.flush()
    await record(
        session,
        actor,
        "link.created",
        "link",
        link.id,
        {"name": name, "eshopConnectionId": str(eshop.id), "accountingConnectionId": str(accounting.id)},
    )
    return link


async def update(session: AsyncSession, actor: Principal, link_id: uuid.UUID, data: LinkPatch) -> Link:
    link = await get(session, actor.tenant_id, link_id)
    changed: dict[str, object] = {}
    if data.name is not msgspec.UNSET:
        name = data.name.strip()
        if await _name_taken(session, actor.tenant_id, name, link.id):
            raise Conflict(f"A link named {name!r} already exists.")
        changed["name"] = {"from": link.name, "to": name}
        link.name = name
    if data.flows is not msgspec.UNSET:
        link.flows = flows_to_document(data.flows)
        changed["flows"] = True
    if data.paused is not msgspec.UNSET and data.paused != link.paused:
        link.paused = data.paused
        changed["paused"] = data.paused
    if changed:
        await record(session, actor, "link.updated", "link", link.id, changed)
    await session.flush()
    return link


async def delete(session: AsyncSession, actor: Principal, link_id: uuid.UUID) -> None:
    link = await get(session, actor.tenant_id, link_id)
    await session.delete(link)
    await record(session, actor, "link.deleted", "link", link.id, {"name": link.name})
    await session.flush()
