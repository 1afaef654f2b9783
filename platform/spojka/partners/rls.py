"""Binding a partner to a transaction for row-level security (``app.partner_id`` on PostgreSQL).

The setting is transaction-local, like the tenant's: set it inside the transaction that needs it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import is_postgres

_SET_PARTNER = text("SELECT set_config('app.partner_id', :partner, true)")


async def bind_partner(session: AsyncSession, partner_id: uuid.UUID) -> None:
    """Let this transaction see the partner's rows (its tenants, endpoints and deliveries)."""
    if is_postgres(session):
        await session.execute(_SET_PARTNER, {"partner": str(partner_id)})
