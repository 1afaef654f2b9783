"""Partners (integrators, resellers), their OAuth2 clients and tenants; tenant API keys; the keys
that sign access tokens; outbound event endpoints and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from spojka.db import Base, TenantScoped, UTCDateTime, new_id, utcnow

#: Requests a client or API key may make per minute unless set otherwise.
DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class Partner(Base):
    """An integrator or reseller that manages its clients' tenants. Global, like users."""

    __tablename__ = "partners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PartnerClient(Base):
    """An OAuth2 client of a partner (client-credentials grant). Only the secret's hash is kept.

    The secret is 256 random bits, so a single SHA-256 is enough: there is nothing to guess that a
    slow hash would protect (unlike a password).
    """

    __tablename__ = "partner_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(500))
    rate_limit_per_minute: Mapped[int] = mapped_column(default=DEFAULT_RATE_LIMIT_PER_MINUTE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PartnerTenant(TenantScoped, Base):
    """A tenant managed by a partner. Row-level security shows a row with its tenant bound, or
    with its partner bound (``app.partner_id``), so a partner lists its tenants and nobody else's."""

    __tablename__ = "partner_tenants"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningKey(Base):
    """A key that signs access tokens (JWT ``kid``), sealed under the vault's key ring.

    The newest key signs; every key not past ``verify_until`` verifies, so a rotation leaves the
    tokens already issued valid until they expire.
    """

    __tablename__ = "token_signing_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sealed_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verify_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ApiKey(TenantScoped, Base):
    """A tenant's API key for its own scripts: scoped, revocable, only its hash kept."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(500))
    rate_limit_per_minute: Mapped[int] = mapped_column(default=DEFAULT_RATE_LIMIT_PER_MINUTE)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class EventEndpoint(Base):
    """A URL that receives signed event notifications, owned by a partner or by a tenant.

    Exactly one of ``partner_id`` and ``tenant_id`` is set. The signing secret is sealed under the
    vault's key ring (it must be read back to sign), bound to the endpoint's id.
    """

    __tablename__ = "event_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True, default=None
    )
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, default=None
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(500))
    sealed_secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventDelivery(Base):
    """One event on its way to one endpoint: the delivery log, and the outbox the worker drains."""

    __tablename__ = "event_deliveries"
    __table_args__ = (Index("ix_event_deliveries_endpoint_created", "endpoint_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_endpoints.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), default=None
    )
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, default=None
    )
    event_id: Mapped[uuid.UUID] = mapped_column(default=new_id)
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
