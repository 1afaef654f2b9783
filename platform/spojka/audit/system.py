"""Audit entries written by Spojka itself (maintenance commands), not by a signed-in user."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from spojka.audit.models import AuditEntry
from spojka.db import Database
from spojka.vault.models import SealedSecret


async def sealed_counts_by_tenant(admin_db: Database, *, excluding_key: str) -> dict[uuid.UUID, int]:
    """How many credentials of each tenant are sealed with a key other than ``excluding_key``."""
    async with admin_db.session() as session:
        rows = await session.execute(
            select(SealedSecret.tenant_id, func.count())
            .where(SealedSecret.key_id != excluding_key)
            .group_by(SealedSecret.tenant_id)
        )
        return {tenant_id: int(count) for tenant_id, count in rows.all()}


async def record_for_tenants(
    admin_db: Database, tenants: Mapping[uuid.UUID, dict[str, Any]], *, action: str, label: str
) -> None:
    """One entry per tenant, each in that tenant's context (row-level security applies)."""
    for tenant_id, details in tenants.items():
        async with admin_db.session(tenant_id=tenant_id) as session:
            session.add(
                AuditEntry(
                    tenant_id=tenant_id,
                    actor_type="system",
                    actor_id=None,
                    actor_label=label,
                    action=action,
                    target_type="credentials",
                    target_id=None,
                    details=details,
                )
            )
