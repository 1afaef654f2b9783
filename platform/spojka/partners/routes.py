"""``/partner/v1``: a partner manages its client tenants and its own OAuth2 clients.

Every route needs a partner access token (``Authorization: Bearer``, from ``POST /oauth/token``)
with the scope in the handler's ``partner_scope`` option; dashboard sessions are refused. A tenant
the partner does not manage is answered 404, exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts.models import Invitation
from spojka.accounts.services import INVITATION_DAYS, invitation_url, normalise_email
from spojka.auth.principal import PartnerCaller
from spojka.http.paging import DEFAULT_LIMIT, Limit, Offset
from spojka.http.schemas import Page
from spojka.notifications.mailer import Mailer
from spojka.partners import services
from spojka.partners.models import DEFAULT_RATE_LIMIT_PER_MINUTE, PartnerClient
from spojka.partners.schemas import (
    ClientCreatedOut,
    ClientIn,
    ClientOut,
    ManagedTenantCreatedOut,
    ManagedTenantOut,
    OwnerInvitationOut,
    OwnerInviteIn,
    TenantCreateIn,
    TenantStatus,
)
from spojka.settings import Settings
from spojka.tenants.models import Tenant

TAGS = ["partner"]


def partner_opt(scope: str, *answers: int) -> dict[str, Any]:
    # Roles belong to people in a tenant; a partner's reach is its scopes (checked by scope_guard).
    # Every partner call counts against the client's rate limit, hence 429.
    return {"partner_scope": scope, "min_role": "viewer", "answers": (429, *answers)}


def _tenant_out(t: Tenant) -> ManagedTenantOut:
    return ManagedTenantOut(id=t.id, name=t.name, status=t.status, created_at=t.created_at)


def _client_out(c: PartnerClient) -> ClientOut:
    return ClientOut(
        id=c.id,
        name=c.name,
        scopes=services.scopes_of(c),
        rate_limit_per_minute=c.rate_limit_per_minute,
        created_at=c.created_at,
        last_used_at=c.last_used_at,
        revoked_at=c.revoked_at,
    )


async def _invite(
    request: Request[Any, Any, Any], session: AsyncSession, caller: PartnerCaller, tenant: Tenant, email: str
) -> OwnerInvitationOut:
    invitation, token = await services.invite_owner(session, caller, tenant.id, normalise_email(email))
    settings: Settings = request.app.state.settings
    accept_url = invitation_url(settings.effective_public_url, token)
    await Mailer(settings).send(
        [invitation.email],
        f"Spojka: you are invited to run “{tenant.name}”",
        f"{caller.label.split(' / ')[0]} has set up Spojka for “{tenant.name}” and invites you as its "
        f"owner.\n\nAccept the invitation (valid for {INVITATION_DAYS} days): {accept_url}\n",
    )
    return _invitation_out(invitation, accept_url, token)


def _invitation_out(invitation: Invitation, accept_url: str, token: str) -> OwnerInvitationOut:
    return OwnerInvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        expires_at=invitation.expires_at,
        accept_url=accept_url,
        token=token,
    )


# -- tenants ----------------------------------------------------------------------------------


@get("/partner/v1/tenants", operation_id="listManagedTenants", tags=TAGS, opt=partner_opt("tenants:read"))
async def list_managed_tenants(
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
    status: FromQuery[TenantStatus | None] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[ManagedTenantOut]:
    """The client tenants this partner manages, oldest first, optionally of one status."""
    rows, total = await services.list_managed_tenants(
        db_session, partner.partner_id, limit=limit, offset=offset, status=status
    )
    return Page(items=[_tenant_out(t) for t in rows], total=total, limit=limit, offset=offset)


@post(
    "/partner/v1/tenants",
    operation_id="createManagedTenant",
    tags=TAGS,
    status_code=HTTP_201_CREATED,
    opt=partner_opt("tenants:write"),
)
async def create_managed_tenant(
    request: Request[Any, Any, Any],
    data: JSONBody[TenantCreateIn],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> ManagedTenantCreatedOut:
    """Create a client tenant managed by this partner; with `ownerEmail`, invite its owner by e-mail.

    The invitation's accept link is returned once, so the partner can also pass it on itself.
    """
    if data.owner_email is not None:
        normalise_email(data.owner_email)  # refuse a bad address before anything is created
    tenant = await services.create_managed_tenant(db_session, partner, data.name)
    invitation = None
    if data.owner_email is not None:
        invitation = await _invite(request, db_session, partner, tenant, data.owner_email)
    out = _tenant_out(tenant)
    return ManagedTenantCreatedOut(
        id=out.id, name=out.name, status=out.status, created_at=out.created_at, invitation=invitation
    )


@get(
    "/partner/v1/tenants/{tenant_id:uuid}",
    operation_id="getManagedTenant",
    tags=TAGS,
    opt=partner_opt("tenants:read"),
)
async def get_managed_tenant(
    tenant_id: FromPath[uuid.UUID],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> ManagedTenantOut:
    """One client tenant of this partner."""
    return _tenant_out(await services.get_managed_tenant(db_session, partner.partner_id, tenant_id))


@post(
    "/partner/v1/tenants/{tenant_id:uuid}/suspend",
    operation_id="suspendManagedTenant",
    tags=TAGS,
    status_code=HTTP_200_OK,
    opt=partner_opt("tenants:write"),
)
async def suspend_managed_tenant(
    tenant_id: FromPath[uuid.UUID],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> ManagedTenantOut:
    """Suspend a client tenant: its people can no longer sign in (idempotent)."""
    return _tenant_out(await services.set_tenant_status(db_session, partner, tenant_id, "suspended"))


@post(
    "/partner/v1/tenants/{tenant_id:uuid}/reactivate",
    operation_id="reactivateManagedTenant",
    tags=TAGS,
    status_code=HTTP_200_OK,
    opt=partner_opt("tenants:write"),
)
async def reactivate_managed_tenant(
    tenant_id: FromPath[uuid.UUID],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> ManagedTenantOut:
    """Make a suspended client tenant active again (idempotent)."""
    return _tenant_out(await services.set_tenant_status(db_session, partner, tenant_id, "active"))


@post(
    "/partner/v1/tenants/{tenant_id:uuid}/invitations",
    operation_id="inviteManagedTenantOwner",
    tags=TAGS,
    status_code=HTTP_201_CREATED,
    opt=partner_opt("tenants:write"),
)
async def invite_managed_tenant_owner(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[uuid.UUID],
    data: JSONBody[OwnerInviteIn],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> OwnerInvitationOut:
    """Invite an owner to a client tenant by e-mail; the accept link is returned once."""
    tenant = await services.get_managed_tenant(db_session, partner.partner_id, tenant_id)
    return await _invite(request, db_session, partner, tenant, data.email)


# -- the partner's own clients ----------------------------------------------------------------


@get("/partner/v1/clients", operation_id="listPartnerClients", tags=TAGS, opt=partner_opt("clients:write"))
async def list_partner_clients(
    partner: NamedDependency[PartnerCaller], db_session: NamedDependency[AsyncSession]
) -> Page[ClientOut]:
    """This partner's OAuth2 clients (never their secrets)."""
    items = [_client_out(c) for c in await services.list_clients(db_session, partner.partner_id)]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@post(
    "/partner/v1/clients",
    operation_id="createPartnerClient",
    tags=TAGS,
    status_code=HTTP_201_CREATED,
    opt=partner_opt("clients:write"),
)
async def create_partner_client(
    data: JSONBody[ClientIn],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> ClientCreatedOut:
    """Add an OAuth2 client with the given scopes. Its secret is shown in this answer only."""
    made = await services.create_client(
        db_session,
        partner.partner_id,
        data.name,
        frozenset(data.scopes),
        rate_limit_per_minute=data.rate_limit_per_minute or DEFAULT_RATE_LIMIT_PER_MINUTE,
    )
    out = _client_out(made.client)
    return ClientCreatedOut(**{f: getattr(out, f) for f in out.__struct_fields__}, client_secret=made.secret)


@delete(
    "/partner/v1/clients/{client_id:uuid}",
    operation_id="revokePartnerClient",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
    opt=partner_opt("clients:write"),
)
async def revoke_partner_client(
    client_id: FromPath[uuid.UUID],
    partner: NamedDependency[PartnerCaller],
    db_session: NamedDependency[AsyncSession],
) -> Response[None]:
    """Revoke a client: its access tokens stop working at once (idempotent)."""
    await services.revoke_client(db_session, partner, client_id)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


ROUTES = [
    list_managed_tenants,
    create_managed_tenant,
    get_managed_tenant,
    suspend_managed_tenant,
    reactivate_managed_tenant,
    invite_managed_tenant_owner,
    list_partner_clients,
    create_partner_client,
    revoke_partner_client,
]
