"""A link pairs an e-shop connection with an accounting connection, with its flows' settings."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, TimestampMixin, new_id
from spojka.db.types import JSONDoc


class Link(TenantScoped, TimestampMixin, Base):
    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    eshop_connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="RESTRICT"), index=True
    )
    accounting_connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("connections.id", ondelete="RESTRICT"), index=True
    )
    flows: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    paused: Mapped[bool] = mapped_column(default=False)
