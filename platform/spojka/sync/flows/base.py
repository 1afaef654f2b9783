"""What every flow works with, and the helpers they share."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from spojka.connector import ConfigError, ConnectorSpec
from spojka.db import Database
from spojka.links.flows import Flows
from spojka.sync import cursors
from spojka.sync.recorder import RunRecorder


@dataclass(slots=True)
class FlowContext:
    """One run of one flow on one link, with both systems open."""

    db: Database
    tenant_id: uuid.UUID
    link_id: uuid.UUID
    run_id: uuid.UUID
    flow: str
    trigger: str
    flows: Flows
    started_at: datetime
    eshop: Any
    eshop_spec: ConnectorSpec
    books: Any
    books_spec: ConnectorSpec
    recorder: RunRecorder
    #: For webhook runs: the e-shop ids of the orders to look at (instead of reading the cursor).
    source_ids: tuple[str, ...] = ()
    #: Set by a flow that changed accounting, so stock follows (``after:orders``).
    follow_ups: set[str] = field(default_factory=set)

    def require(self, spec: ConnectorSpec, capability: str, what: str) -> None:
        if capability not in spec.capabilities:
            raise ConfigError(f"{spec.title} cannot {what} (it lacks the {capability} capability).")

    async def load_cursor(self, stream: str) -> str | None:
        async with self.db.session(tenant_id=self.tenant_id) as session:
            return await cursors.load(session, self.tenant_id, self.link_id, self.flow, stream)


def content_hash(value: object) -> str:
    """A stable fingerprint of a canonical object, to write only what changed."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()
