"""``/api/v1/tenant``: the company the caller acts in."""

from __future__ import annotations

import uuid

from litestar import get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.http.problems import NotFound
from spojka.http.schemas import Input, Name, Output
from spojka.tenants.models import Tenant


class TenantOut(Output):
    id: uuid.UUID
    name: str
    status: str


class TenantPatch(Input):
    name: Name


async def _tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    tenant = await session.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if tenant is None:
        raise NotFound("No such company.")
    return tenant


@get("/api/v1/tenant", operation_id="getTenant", tags=["tenant"])
async def get_tenant(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> TenantOut:
    """The company the caller acts in."""
    t = await _tenant(db_session, principal.tenant_id)
    return TenantOut(id=t.id, name=t.name, status=t.status)


@patch("/api/v1/tenant", operation_id="updateTenant", tags=["tenant"], opt={"min_role": "owner"})
async def update_tenant(
    data: JSONBody[TenantPatch],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> TenantOut:
    """Rename the company (owners only)."""
    t = await _tenant(db_session, principal.tenant_id)
    old, t.name = t.name, data.name.strip()
    await record(db_session, principal, "tenant.renamed", "tenant", t.id, {"from": old, "to": t.name})
    return TenantOut(id=t.id, name=t.name, status=t.status)


ROUTES = [get_tenant, update_tenant]
