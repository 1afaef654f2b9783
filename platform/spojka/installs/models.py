"""An e-shop's add-on installation: which remote e-shop belongs to which tenant and connection."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, UTCDateTime, new_id, utcnow


class AddonInstallation(TenantScoped, Base):
    """One e-shop (``remote_id`` at ``connector``) that installed the add-on, and its tenant.

    Row-level security shows a row with its tenant bound, or to an install call that bound the
    row's ``connector:remote_id`` as ``app.install_key``, which it may do only after the remote
    confirmed the install (the code exchange): that is how an anonymous call finds its tenant.
    The connection is kept apart from the row: a merchant who deleted it and installs again gets
    a new connection in the same tenant.
    """

    __tablename__ = "addon_installations"
    __table_args__ = (UniqueConstraint("connector", "remote_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    connector: Mapped[str] = mapped_column(String(100))
    remote_id: Mapped[str] = mapped_column(String(200))
    connection_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL"), default=None
    )
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last install of the same e-shop after the first (a new token each time).
    reinstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
