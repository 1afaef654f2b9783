"""Writing and reading the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.models import AuditEntry
from spojka.auth.principal import Principal


async def record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str | None,
    details: dict[str, Any] | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
) -> None:
    """Add an entry in the caller's transaction. ``details`` must never hold secret values."""
    session.add(
        AuditEntry(
            tenant_id=tenant_id or actor.tenant_id,
            actor_type=actor.kind,
            actor_id=str(actor.user_id),
            actor_label=actor.actor_label,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id else None,
            details=details or {},
        )
    )


async def page(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    where = AuditEntry.tenant_id == tenant_id
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(where)) or 0
    rows = await session.scalars(
        select(AuditEntry)
        .where(where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
