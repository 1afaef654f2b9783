"""Database access: declarative base, engines, tenant-bound sessions."""

from spojka.db.base import Base, TenantScoped, TimestampMixin, UTCDateTime, new_id, utcnow
from spojka.db.engine import Database, bind_principal, is_postgres

__all__ = (
    "Base",
    "Database",
    "TenantScoped",
    "TimestampMixin",
    "UTCDateTime",
    "bind_principal",
    "is_postgres",
    "new_id",
    "utcnow",
)
