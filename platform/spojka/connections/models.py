"""A tenant's configured instance of a connector. Its secrets live in the vault."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, TimestampMixin, UTCDateTime, new_id, utcnow
from spojka.db.types import JSONDoc


class Connection(TenantScoped, TimestampMixin, Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connector: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    last_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_check_ok: Mapped[bool | None] = mapped_column(default=None)
    last_check_message: Mapped[str | None] = mapped_column(Text, default=None)
    #: The outcome of the last webhook registration at the e-shop (apart from the check: a
    #: connection may work while the e-shop refuses webhooks, and then orders are polled).
    webhooks_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    webhooks_ok: Mapped[bool | None] = mapped_column(default=None)
    webhooks_message: Mapped[str | None] = mapped_column(Text, default=None)


class WebhookEndpoint(TenantScoped, Base):
    """The secret address a connection's webhooks are delivered to; only the token's hash is kept.

    Row-level security lets a request see a row only with the tenant bound, or with the token's
    hash bound (``app.hook_token_hash``): an anonymous webhook call finds its tenant by proving
    it knows the token, and nothing else.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
