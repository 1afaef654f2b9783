"""Creating and reading tenants."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import bind_principal, new_id
from spojka.tenants.models import Tenant


async def create_tenant(session: AsyncSession, name: str, *, user_id: uuid.UUID | None = None) -> Tenant:
    """Create a tenant and bind the session to it, so its first rows pass row-level security."""
    tenant = Tenant(id=new_id(), name=name.strip())
    await bind_principal(session, tenant_id=tenant.id, user_id=user_id)
    session.add(tenant)
    await session.flush()
    return tenant
