"""Counts and per-record events of a run, written together with the bindings they describe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.db import new_id, utcnow
from spojka.runs.models import Run, RunEvent

Outcome = Literal["created", "updated", "skipped", "failed"]
_MESSAGE_LIMIT = 2000


@dataclass(slots=True)
class _Event:
    entity: str
    source_id: str | None
    target_id: str | None
    label: str | None
    action: str
    outcome: Outcome
    message: str | None


@dataclass(slots=True)
class RunRecorder:
    """Collects what a run did; ``flush`` writes it in the caller's transaction."""

    tenant_id: uuid.UUID
    run_id: uuid.UUID
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("created", "updated", "skipped", "failed"), 0)
    )
    _pending: list[_Event] = field(default_factory=list)
    #: Skips are counted but, beyond this many, not stored one by one (an unchanged catalogue of
    #: 100,000 codes should not become 100,000 events).
    max_skip_events: int = 0
    _skip_events: int = 0

    def record(
        self,
        entity: str,
        outcome: Outcome,
        *,
        action: str,
        source_id: str | None = None,
        target_id: str | None = None,
        label: str | None = None,
        message: str | None = None,
    ) -> None:
        self.counts[outcome] += 1
        if outcome == "skipped":
            if self._skip_events >= self.max_skip_events:
                return
            self._skip_events += 1
        if message is not None and len(message) > _MESSAGE_LIMIT:
            message = message[: _MESSAGE_LIMIT - 1] + "…"
        self._pending.append(_Event(entity, source_id, target_id, label, action, outcome, message))

    @property
    def changed(self) -> int:
        return self.counts["created"] + self.counts["updated"]

    async def flush(self, session: AsyncSession) -> None:
        if self._pending:
            now = utcnow()
            # A Core insert of plain rows: ORM objects cost more than the database for 100,000 events.
            await session.execute(
                insert(RunEvent),
                [
                    {
                        "id": new_id(),
                        "tenant_id": self.tenant_id,
                        "run_id": self.run_id,
                        "entity": e.entity,
                        "source_id": e.source_id,
                        "target_id": e.target_id,
                        "label": e.label,
                        "action": e.action,
                        "outcome": e.outcome,
                        "message": e.message,
                        "created_at": now,
                    }
                    for e in self._pending
                ],
            )
            self._pending.clear()
        await session.execute(
            update(Run)
            .where(Run.tenant_id == self.tenant_id, Run.id == self.run_id)
            .values(
                created=self.counts["created"],
                updated=self.counts["updated"],
                skipped=self.counts["skipped"],
                failed=self.counts["failed"],
            )
        )
