"""Shapes of runs and run events over the API."""

from __future__ import annotations

import uuid
from datetime import datetime

from spojka.http.schemas import Output


class RunCounts(Output):
    created: int
    updated: int
    skipped: int
    failed: int


class RunOut(Output):
    id: uuid.UUID
    link_id: uuid.UUID
    flow: str
    trigger: str
    status: str
    counts: RunCounts
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


class RunEventOut(Output):
    id: uuid.UUID
    run_id: uuid.UUID
    entity: str
    source_id: str | None
    target_id: str | None
    label: str | None
    action: str
    outcome: str
    message: str | None
    created_at: datetime
