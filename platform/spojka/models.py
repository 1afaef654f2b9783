"""Imports every package's models, so ``Base.metadata`` is complete (Alembic, tests)."""

from spojka.accounts.models import Invitation, Membership, User
from spojka.audit.models import AuditEntry
from spojka.connections.models import Connection, WebhookEndpoint
from spojka.db import Base
from spojka.links.models import Link
from spojka.runs.models import FlowHealth, Run, RunEvent
from spojka.sync.models import Binding, Cursor, WebhookDelivery
from spojka.tenants.models import Tenant
from spojka.vault.models import SealedSecret, VaultKey

metadata = Base.metadata

__all__ = (
    "AuditEntry",
    "Binding",
    "Connection",
    "Cursor",
    "FlowHealth",
    "Invitation",
    "Link",
    "Membership",
    "Run",
    "RunEvent",
    "SealedSecret",
    "Tenant",
    "User",
    "VaultKey",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
)
