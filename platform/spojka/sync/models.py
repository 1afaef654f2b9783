"""The engine's memory: bindings between twin records, cursors into sources, webhook deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, UTCDateTime, new_id, utcnow


class Binding(TenantScoped, Base):
    """Ties a record on one side to its twin on the other; makes every write idempotent."""

    __tablename__ = "bindings"
    # tenant_id leads so that a planner without statistics (SQLite is never analysed) still picks
    # this index over the plain tenant_id one for the engine's lookups.
    __table_args__ = (UniqueConstraint("tenant_id", "link_id", "entity", "source_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[str | None] = mapped_column(String(200), default=None)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(20), default="synced")
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: For a record read once (stock, fulfilment) whose write failed: what to write on the next run.
    retry_payload: Mapped[str | None] = mapped_column(Text, default=None)


class Cursor(TenantScoped, Base):
    """Where a flow stopped reading a source. Moves only together with the bindings of what was read."""

    __tablename__ = "cursors"
    __table_args__ = (UniqueConstraint("link_id", "flow", "stream"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(20))
    stream: Mapped[str] = mapped_column(String(60), default="default")
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookDelivery(TenantScoped, Base):
    """One webhook call received from a remote system; the dedup key drops repeats."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("connection_id", "dedup_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(20), default="received")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
