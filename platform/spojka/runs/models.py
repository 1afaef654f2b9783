"""Runs of flows and what each did to every record."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, UTCDateTime, new_id, utcnow

FLOWS = ("orders", "stock", "products", "fulfilment", "shipments")
TRIGGERS = ("webhook", "schedule", "manual", "after:orders")
RUN_STATUSES = ("queued", "running", "succeeded", "partial", "failed")


class Run(TenantScoped, Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_link_flow_queued", "link_id", "flow", "queued_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class RunEvent(TenantScoped, Base):
    __tablename__ = "run_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(200), default=None)
    target_id: Mapped[str | None] = mapped_column(String(200), default=None)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FlowHealth(TenantScoped, Base):
    """How a link's flow has been doing: failures in a row, and whether its owners were told."""

    __tablename__ = "flow_health"
    __table_args__ = (UniqueConstraint("link_id", "flow"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(20))
    failures_in_row: Mapped[int] = mapped_column(default=0)
    alerted: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
