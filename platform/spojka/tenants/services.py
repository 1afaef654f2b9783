"""Creating and reading tenants."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import bind_principal, new_id
from spojka.tenants.models import Tenant

ACTIVE = "active"
#: A suspended tenant (``POST /partner/v1/tenants/{id}/suspend``): its people cannot sign in, its
#: API keys stop working, and none of its flows runs (nothing is queued, a queued run ends as
#: failed with :data:`SUSPENDED_RUN_ERROR`). Reactivating it resumes everything where it stopped.
SUSPENDED = "suspended"
SUSPENDED_RUN_ERROR = "The company is suspended; nothing was transferred."


async def create_tenant(session: AsyncSession, name: str, *, user_id: uuid.UUID | None = None) -> Tenant:
    """Create a tenant and bind the session to it, so its first rows pass row-level security."""
    tenant = Tenant(id=new_id(), name=name.strip())
    await bind_principal(session, tenant_id=tenant.id, user_id=user_id)
    session.add(tenant)
    await session.flush()
    return tenant


async def is_suspended(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """Whether the tenant is suspended (the session must see the tenant: bound to it, or admin)."""
    status = await session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
    return status == SUSPENDED
