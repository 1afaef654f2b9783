"""Cursors: where a flow stopped reading a source."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.sync.models import Cursor


async def load(
    session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str, stream: str
) -> str | None:
    return await session.scalar(
        select(Cursor.value).where(
            Cursor.tenant_id == tenant_id,
            Cursor.link_id == link_id,
            Cursor.flow == flow,
            Cursor.stream == stream,
        )
    )


async def store(
    session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID, flow: str, stream: str, value: str | None
) -> None:
    """Move the cursor; call it in the transaction that stores the bindings of what was read."""
    row = await session.scalar(
        select(Cursor).where(
            Cursor.tenant_id == tenant_id,
            Cursor.link_id == link_id,
            Cursor.flow == flow,
            Cursor.stream == stream,
        )
    )
    if value is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(Cursor(tenant_id=tenant_id, link_id=link_id, flow=flow, stream=stream, value=value))
    else:
        row.value = value
    await session.flush()
