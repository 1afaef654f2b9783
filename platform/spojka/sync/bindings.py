"""Bindings: which record on one side is which on the other, and what it looked like when written.

Every write is made idempotent by looking here first; a binding is stored in the same transaction
as the cursor that read its record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import new_id, utcnow
from spojka.db.upsert import dialect_insert
from spojka.sync.models import Binding

_CHUNK = 500
#: Rows per upsert statement; the driver batches each into multi-row VALUES.
_UPSERT_CHUNK = 5000


@dataclass(slots=True)
class BindingState:
    """A binding as the engine works with it (detached from the session)."""

    source_id: str
    target_id: str | None
    content_hash: str | None
    state: str
    #: JSON of what to write again (state ``failed`` of a record that will not be read again).
    retry_payload: str | None = None


class BindingStore:
    """Bindings of one link and one entity (``order``, ``stock``, ``product``, ``fulfilment``...)."""

    def __init__(self, tenant_id: uuid.UUID, link_id: uuid.UUID, entity: str) -> None:
        self.tenant_id = tenant_id
        self.link_id = link_id
        self.entity = entity

    def _where(self) -> list[ColumnElement[bool]]:
        return [
            Binding.tenant_id == self.tenant_id,
            Binding.link_id == self.link_id,
            Binding.entity == self.entity,
        ]

    async def get_many(self, session: AsyncSession, source_ids: Iterable[str]) -> dict[str, BindingState]:
        ids = list(dict.fromkeys(source_ids))
        found: dict[str, BindingState] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = await session.execute(
                select(Binding.source_id, Binding.target_id, Binding.content_hash, Binding.state).where(
                    *self._where(), Binding.source_id.in_(chunk)
                )
            )
            for source_id, target_id, content_hash, state in rows.all():
                found[source_id] = BindingState(source_id, target_id, content_hash, state)
        return found

    async def all(self, session: AsyncSession) -> dict[str, BindingState]:
        rows = await session.execute(
            select(Binding.source_id, Binding.target_id, Binding.content_hash, Binding.state).where(
                *self._where()
            )
        )
        return {s: BindingState(s, t, h, st) for s, t, h, st in rows.all()}

    async def by_target(self, session: AsyncSession, target_ids: Sequence[str]) -> dict[str, BindingState]:
        found: dict[str, BindingState] = {}
        for start in range(0, len(target_ids), _CHUNK):
            rows = await session.execute(
                select(Binding.source_id, Binding.target_id, Binding.content_hash, Binding.state).where(
                    *self._where(), Binding.target_id.in_(target_ids[start : start + _CHUNK])
                )
            )
            for s, t, h, st in rows.all():
                if t is not None:
                    found[t] = BindingState(s, t, h, st)
        return found

    async def with_state(self, session: AsyncSession, state: str, limit: int) -> list[BindingState]:
        """Up to ``limit`` bindings in ``state``, with their retry payloads, longest waiting first."""
        rows = await session.execute(
            select(
                Binding.source_id,
                Binding.target_id,
                Binding.content_hash,
                Binding.state,
                Binding.retry_payload,
            )
            .where(*self._where(), Binding.state == state)
            .order_by(Binding.synced_at, Binding.source_id)
            .limit(limit)
        )
        return [BindingState(s, t, h, st, p) for s, t, h, st, p in rows.all()]

    async def save(self, session: AsyncSession, states: Iterable[BindingState]) -> None:
        """Insert or update these bindings (by source id), one upsert per chunk, no read first."""
        pending = {s.source_id: s for s in states}
        if not pending:
            return
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "tenant_id": self.tenant_id,
                "link_id": self.link_id,
                "entity": self.entity,
                "source_id": state.source_id,
                "target_id": state.target_id,
                "content_hash": state.content_hash,
                "state": state.state,
                "synced_at": now,
                "retry_payload": state.retry_payload,
            }
            for state in pending.values()
        ]
        insert = dialect_insert(session, Binding)
        upsert = insert.on_conflict_do_update(
            index_elements=["tenant_id", "link_id", "entity", "source_id"],
            set_={
                "target_id": insert.excluded.target_id,
                "content_hash": insert.excluded.content_hash,
                "state": insert.excluded.state,
                "synced_at": insert.excluded.synced_at,
                "retry_payload": insert.excluded.retry_payload,
            },
        )
        for start in range(0, len(rows), _UPSERT_CHUNK):
            await session.execute(upsert, rows[start : start + _UPSERT_CHUNK])
