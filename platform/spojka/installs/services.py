"""Completing an add-on install: the merchant's tenant, its connection and the owner's invitation.

Everything happens in the caller's one transaction, so an install either leaves a working
connection with its credentials sealed, or nothing at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts.models import Invitation, Membership
from spojka.accounts.services import new_invitation, normalise_email
from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.connections import services as connections
from spojka.connections.models import Connection
from spojka.connections.schemas import ConnectionIn, ConnectionPatch
from spojka.connector import ConnectorSpec, secret_fields
from spojka.connector.install import Installation
from spojka.connector.registry import Registry
from spojka.db import Database, bind_principal, is_postgres, new_id, utcnow
from spojka.http.problems import Invalid
from spojka.installs.models import AddonInstallation
from spojka.tenants.models import Tenant
from spojka.tenants.services import create_tenant
from spojka.vault import SecretStore

#: Longest tenant and connection name (the columns' length).
NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Installed:
    """What an install did."""

    reinstalled: bool
    installation_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_name: str
    connection_id: uuid.UUID
    #: The contact person's owner invitation and its token (first installs with a valid e-mail).
    invitation: tuple[Invitation, str] | None = None


async def record_install(
    session: AsyncSession,
    registry: Registry,
    store: SecretStore,
    spec: ConnectorSpec,
    installation: Installation,
) -> Installed:
    """Make the tenant and connection of a first install, or bring a re-install's up to date."""
    if is_postgres(session):
        # Row-level security shows this e-shop's installation row (if any) to this call only now
        # that the remote has confirmed the install.
        await session.execute(
            text("SELECT set_config('app.install_key', :key, true)"),
            {"key": f"{spec.key}:{installation.remote_id}"},
        )
    row = await session.scalar(
        select(AddonInstallation).where(
            AddonInstallation.connector == spec.key,
            AddonInstallation.remote_id == installation.remote_id,
        )
    )
    if row is None:
        return await _first_install(session, registry, store, spec, installation)
    return await _reinstall(session, registry, store, spec, installation, row)


async def check_installed(
    db: Database, registry: Registry, store: SecretStore, spec: ConnectorSpec, installed: Installed
) -> None:
    """Try the installed connection once, so the merchant's dashboard shows at once whether it works."""
    async with db.session(tenant_id=installed.tenant_id) as session:
        actor = _actor(spec, installed.tenant_id, installed.installation_id)
        await connections.check(session, registry, store, actor, installed.connection_id)


def _actor(spec: ConnectorSpec, tenant_id: uuid.UUID, installation_id: uuid.UUID) -> Principal:
    # The audit log names the install as the actor; it has no scopes, so it could call nothing else.
    return Principal(
        user_id=installation_id,
        tenant_id=tenant_id,
        role="owner",
        email="",
        session_id="",
        kind="addon",
        scopes=frozenset(),
        label=f"{spec.title} add-on installation",
    )


async def _first_install(
    session: AsyncSession,
    registry: Registry,
    store: SecretStore,
    spec: ConnectorSpec,
    installation: Installation,
) -> Installed:
    tenant = await create_tenant(session, installation.name[:NAME_LENGTH])
    row = AddonInstallation(
        id=new_id(), tenant_id=tenant.id, connector=spec.key, remote_id=installation.remote_id
    )
    actor = _actor(spec, tenant.id, row.id)
    connection = await _new_connection(session, registry, store, spec, installation, actor)
    row.connection_id = connection.id
    session.add(row)
    await _record(session, actor, "addon.installed", connection.id, spec, installation)
    invitation = await _invite_contact(session, actor, installation)
    await session.flush()
    return Installed(False, row.id, tenant.id, tenant.name, connection.id, invitation)


async def _record(
    session: AsyncSession,
    actor: Principal,
    action: str,
    connection_id: uuid.UUID,
    spec: ConnectorSpec,
    installation: Installation,
) -> None:
    details = {"connector": spec.key, "remoteId": installation.remote_id}
    await record(session, actor, action, "connection", connection_id, details)


async def _invite_contact(
    session: AsyncSession, actor: Principal, installation: Installation
) -> tuple[Invitation, str] | None:
    email = _usable_email(installation.contact_email)
    if email is None:
        return None
    invitation = await new_invitation(session, actor.tenant_id, email, "owner", invited_by=None)
    await record(
        session, actor, "member.invited", "invitation", invitation[0].id, {"email": email, "role": "owner"}
    )
    return invitation


async def _reinstall(
    session: AsyncSession,
    registry: Registry,
    store: SecretStore,
    spec: ConnectorSpec,
    installation: Installation,
    row: AddonInstallation,
) -> Installed:
    await bind_principal(session, tenant_id=row.tenant_id)
    actor = _actor(spec, row.tenant_id, row.id)
    connection = None
    if row.connection_id is not None:
        connection = await session.get(Connection, row.connection_id)
    if connection is None:
        # The merchant deleted the connection; the e-shop comes back into the same company.
        connection = await _new_connection(session, registry, store, spec, installation, actor)
        row.connection_id = connection.id
    else:
        # The new install's credentials replace every secret of the old one (its token is dead);
        # the merchant's own settings stay, the install's (where the API is) win.
        cleared: dict[str, str | None] = dict.fromkeys(secret_fields(spec))
        await connections.update(
            session,
            registry,
            store,
            actor,
            connection.id,
            ConnectionPatch(
                settings={**connection.settings, **installation.settings},
                credentials={**cleared, **installation.credentials},
            ),
        )
    row.reinstalled_at = utcnow()
    await _record(session, actor, "addon.reinstalled", connection.id, spec, installation)
    # Nobody has joined yet (the e-mail was lost, or its invitation expired): invite them anew.
    nobody = await session.scalar(select(Membership.id).where(Membership.tenant_id == row.tenant_id)) is None
    invitation = await _invite_contact(session, actor, installation) if nobody else None
    await session.flush()
    tenant = await session.get(Tenant, row.tenant_id)
    return Installed(True, row.id, row.tenant_id, tenant.name if tenant else "", connection.id, invitation)


async def _new_connection(
    session: AsyncSession,
    registry: Registry,
    store: SecretStore,
    spec: ConnectorSpec,
    installation: Installation,
    actor: Principal,
) -> Connection:
    name = await _free_name(session, actor.tenant_id, f"{spec.title} {installation.name}"[:NAME_LENGTH])
    data = ConnectionIn(
        connector=spec.key,
        name=name,
        settings=dict(installation.settings),
        credentials=dict(installation.credentials),
    )
    return await connections.create(session, registry, store, actor, data)


async def _free_name(session: AsyncSession, tenant_id: uuid.UUID, wanted: str) -> str:
    taken = set(
        await session.scalars(
            select(Connection.name).where(
                Connection.tenant_id == tenant_id, Connection.name.startswith(wanted)
            )
        )
    )
    name, n = wanted, 1
    while name in taken:
        n += 1
        suffix = f" ({n})"
        name = wanted[: NAME_LENGTH - len(suffix)] + suffix
    return name


def _usable_email(raw: str | None) -> str | None:
    """The contact address in canonical form, or ``None`` when the remote gave none usable."""
    if not raw:
        return None
    try:
        return normalise_email(raw)
    except Invalid:
        return None
