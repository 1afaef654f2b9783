"""Partners, their OAuth2 clients and the tenants they manage. Routes and the CLI stay thin."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts.models import Invitation
from spojka.accounts.services import new_invitation
from spojka.audit.models import AuditEntry
from spojka.auth.principal import PartnerCaller
from spojka.auth.scopes import SCOPES, parse_scopes, unknown_scopes
from spojka.db import bind_principal, utcnow
from spojka.http.problems import Conflict, Invalid, NotFound
from spojka.partners.credentials import hash_secret, new_client_secret
from spojka.partners.models import DEFAULT_RATE_LIMIT_PER_MINUTE, Partner, PartnerClient, PartnerTenant
from spojka.partners.rls import bind_partner
from spojka.tenants.models import Tenant
from spojka.tenants.services import create_tenant

ALL_SCOPES = frozenset(SCOPES)


@dataclass(frozen=True, slots=True)
class NewClient:
    """A client just made: the only moment its secret exists outside the caller's hands."""

    client: PartnerClient
    secret: str


def check_scopes(scopes: frozenset[str], allowed: frozenset[str] = ALL_SCOPES) -> frozenset[str]:
    unknown = unknown_scopes(scopes, allowed)
    if unknown:
        raise Invalid(f"Unknown scopes: {', '.join(unknown)}. Known scopes: {', '.join(sorted(allowed))}.")
    if not scopes:
        raise Invalid("Give at least one scope.")
    return scopes


def _audit(
    session: AsyncSession,
    caller: PartnerCaller,
    tenant_id: uuid.UUID,
    action: str,
    target_type: str,
    target_id: uuid.UUID | None,
    details: dict[str, str],
) -> None:
    """An entry in the tenant's audit log with the partner's client as the actor."""
    session.add(
        AuditEntry(
            tenant_id=tenant_id,
            actor_type="partner_client",
            actor_id=str(caller.client_id),
            actor_label=caller.label,
            action=action,
            target_type=target_type,
            target_id=str(target_id) if target_id else None,
            details=details,
        )
    )


# -- partners and clients ---------------------------------------------------------------------


async def create_partner(
    session: AsyncSession, name: str, *, scopes: frozenset[str] = ALL_SCOPES
) -> tuple[Partner, NewClient]:
    """A partner with its first client (holding ``scopes``), as ``spojka partners create`` makes it."""
    name = name.strip()
    if not name:
        raise Invalid("Give the partner a name.")
    if await session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise Conflict(f"A partner named {name!r} already exists.")
    partner = Partner(id=uuid.uuid4(), name=name)
    session.add(partner)
    await session.flush()
    client = await create_client(session, partner.id, "default", scopes)
    return partner, client


async def create_client(
    session: AsyncSession,
    partner_id: uuid.UUID,
    name: str,
    scopes: frozenset[str],
    *,
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
) -> NewClient:
    check_scopes(scopes)
    secret = new_client_secret()
    client = PartnerClient(
        id=uuid.uuid4(),
        partner_id=partner_id,
        name=name.strip(),
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(scopes)),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(client)
    await session.flush()
    return NewClient(client=client, secret=secret)


async def list_clients(session: AsyncSession, partner_id: uuid.UUID) -> list[PartnerClient]:
    rows = await session.scalars(
        select(PartnerClient)
        .where(PartnerClient.partner_id == partner_id)
        .order_by(PartnerClient.created_at, PartnerClient.id)
    )
    return list(rows)


async def get_client(session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID) -> PartnerClient:
    client = await session.scalar(
        select(PartnerClient).where(PartnerClient.partner_id == partner_id, PartnerClient.id == client_id)
    )
    if client is None:
        raise NotFound("No such client.")
    return client


async def revoke_client(session: AsyncSession, caller: PartnerCaller, client_id: uuid.UUID) -> PartnerClient:
    """Revoke a client: its tokens stop working at once. A partner keeps at least one live client."""
    client = await get_client(session, caller.partner_id, client_id)
    if client.revoked_at is None:
        live = await session.scalar(
            select(func.count()).where(
                PartnerClient.partner_id == caller.partner_id, PartnerClient.revoked_at.is_(None)
            )
        )
        if (live or 0) <= 1:
            raise Conflict("This is the partner's last active client. Create another one first.")
        client.revoked_at = utcnow()
    return client


# -- managed tenants --------------------------------------------------------------------------


async def create_managed_tenant(session: AsyncSession, caller: PartnerCaller, name: str) -> Tenant:
    """A new client tenant managed by the caller's partner."""
    tenant = await create_tenant(session, name)
    await bind_partner(session, caller.partner_id)
    session.add(PartnerTenant(tenant_id=tenant.id, partner_id=caller.partner_id))
    _audit(session, caller, tenant.id, "tenant.created", "tenant", tenant.id, {"name": tenant.name})
    await session.flush()
    return tenant


async def list_managed_tenants(
    session: AsyncSession, partner_id: uuid.UUID, *, limit: int, offset: int, status: str | None = None
) -> tuple[list[Tenant], int]:
    where = [PartnerTenant.partner_id == partner_id]
    if status is not None:
        where.append(Tenant.status == status)
    base = select(Tenant).join(PartnerTenant, PartnerTenant.tenant_id == Tenant.id).where(*where)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = await session.scalars(base.order_by(Tenant.created_at, Tenant.id).limit(limit).offset(offset))
    return list(rows), total


async def get_managed_tenant(session: AsyncSession, partner_id: uuid.UUID, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, if the partner manages it; 404 otherwise (as if it did not exist)."""
    tenant = await session.scalar(
        select(Tenant)
        .join(PartnerTenant, PartnerTenant.tenant_id == Tenant.id)
        .where(PartnerTenant.partner_id == partner_id, Tenant.id == tenant_id)
    )
    if tenant is None:
        raise NotFound("No such company.")
    return tenant


async def set_tenant_status(
    session: AsyncSession, caller: PartnerCaller, tenant_id: uuid.UUID, status: str
) -> Tenant:
    """Suspend (its people can no longer sign in) or reactivate a managed tenant."""
    tenant = await get_managed_tenant(session, caller.partner_id, tenant_id)
    if tenant.status != status:
        await bind_principal(session, tenant_id=tenant.id)
        await bind_partner(session, caller.partner_id)
        old, tenant.status = tenant.status, status
        action = "tenant.suspended" if status == "suspended" else "tenant.reactivated"
        _audit(session, caller, tenant.id, action, "tenant", tenant.id, {"from": old, "to": status})
        await session.flush()
    return tenant


async def invite_owner(
    session: AsyncSession, caller: PartnerCaller, tenant_id: uuid.UUID, email: str
) -> tuple[Invitation, str]:
    """An owner invitation to a managed tenant; the token is returned once (and e-mailed)."""
    tenant = await get_managed_tenant(session, caller.partner_id, tenant_id)
    await bind_principal(session, tenant_id=tenant.id)
    await bind_partner(session, caller.partner_id)
    invitation, token = await new_invitation(session, tenant.id, email, "owner", invited_by=None)
    _audit(
        session,
        caller,
        tenant.id,
        "member.invited",
        "invitation",
        invitation.id,
        {"email": email, "role": "owner"},
    )
    return invitation, token


def scopes_of(client: PartnerClient) -> list[str]:
    return sorted(parse_scopes(client.scopes))
