"""Imports every package's models, so ``Base.metadata`` is complete (Alembic, tests)."""

from spojka.accounts.models import Invitation, Membership, User
from spojka.audit.models import AuditEntry
from spojka.connections.models import Connection, WebhookEndpoint
from spojka.db import Base
from spojka.installs.models import AddonInstallation
from spojka.links.models import Link
from spojka.partners.models import (
    ApiKey,
    EventDelivery,
    EventEndpoint,
    Partner,
    PartnerClient,
    PartnerTenant,
    SigningKey,
)
from spojka.runs.models import FlowHealth, Run, RunEvent
from spojka.sync.models import Binding, Cursor, WebhookDelivery
from spojka.tenants.models import Tenant
from spojka.vault.models import SealedSecret, VaultKey

metadata = Base.metadata

__all__ = (
    "AddonInstallation",
    "ApiKey",
    "AuditEntry",
    "Binding",
    "Connection",
    "Cursor",
    "EventDelivery",
    "EventEndpoint",
    "FlowHealth",
    "Invitation",
    "Link",
    "Membership",
    "Partner",
    "PartnerClient",
    "PartnerTenant",
    "Run",
    "RunEvent",
    "SealedSecret",
    "SigningKey",
    "Tenant",
    "User",
    "VaultKey",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
)
