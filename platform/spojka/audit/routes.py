"""``GET /api/v1/audit``: the tenant's audit log, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit import service
from spojka.auth.principal import Principal
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.schemas import Output, Page


class AuditEntryOut(Output):
    id: uuid.UUID
    at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str | None
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]


@get("/api/v1/audit", operation_id="listAuditEntries", tags=["audit"])
async def list_audit_entries(
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[AuditEntryOut]:
    """The tenant's audit log: who changed what and when (never secret values)."""
    rows, total = await service.page(db_session, principal.tenant_id, limit=limit, offset=offset)
    items = [
        AuditEntryOut(
            id=r.id,
            at=r.at,
            actor_type=r.actor_type,
            actor_id=r.actor_id,
            actor_label=r.actor_label,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            details=r.details,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


ROUTES = [list_audit_entries]
