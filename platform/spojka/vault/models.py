"""Sealed secrets and the record of every key that has ever sealed one."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, UTCDateTime, new_id, utcnow


class VaultKey(Base):
    """A master key's verification record: proves at start-up that the configured key is the same one.

    A key gets its record before it seals anything, so every key a ciphertext may name is listed here.
    """

    __tablename__ = "vault_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    verifier: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SealedSecret(TenantScoped, Base):
    """One secret field of one owner (a connection), sealed with AES-256-GCM."""

    __tablename__ = "sealed_secrets"
    __table_args__ = (UniqueConstraint("tenant_id", "owner_id", "field"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(100))
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    envelope: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
