"""Team members and invitations of the caller's company."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts import services
from spojka.accounts.models import Invitation
from spojka.accounts.routes import PUBLIC, _me, _sign_in
from spojka.accounts.schemas import (
    AcceptInvitationIn,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberUpdateIn,
    MeOut,
    as_role,
)
from spojka.auth.client_ip import client_ip
from spojka.auth.principal import Principal
from spojka.auth.ratelimit import RateLimiter
from spojka.http.schemas import Page


def _invitation_out(i: Invitation) -> InvitationOut:
    return InvitationOut(
        id=i.id,
        email=i.email,
        role=as_role(i.role),
        created_at=i.created_at,
        expires_at=i.expires_at,
        accepted_at=i.accepted_at,
    )


@get("/api/v1/members", operation_id="listMembers", tags=["members"])
async def list_members(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> Page[MemberOut]:
    """Everyone in the company, with their role."""
    rows = await services.list_members(db_session, principal.tenant_id)
    items = [
        MemberOut(user_id=m.user_id, email=email, role=as_role(m.role), joined_at=m.created_at)
        for m, email in rows
    ]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@patch("/api/v1/members/{user_id:uuid}", operation_id="updateMember", tags=["members"])
async def update_member(
    user_id: FromPath[uuid.UUID],
    data: JSONBody[MemberUpdateIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> MemberOut:
    """Change a member's role."""
    member = await services.change_role(db_session, principal, user_id, data.role)
    rows = await services.list_members(db_session, principal.tenant_id)
    email = next(e for m, e in rows if m.user_id == member.user_id)
    return MemberOut(
        user_id=member.user_id, email=email, role=as_role(member.role), joined_at=member.created_at
    )


@delete(
    "/api/v1/members/{user_id:uuid}",
    operation_id="removeMember",
    tags=["members"],
    status_code=HTTP_204_NO_CONTENT,
)
async def remove_member(
    user_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Remove someone from the company; their sessions lose access at once."""
    await services.remove_member(db_session, principal, user_id)


@get("/api/v1/invitations", operation_id="listInvitations", tags=["members"])
async def list_invitations(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> Page[InvitationOut]:
    """Invitations not yet accepted."""
    items = [_invitation_out(i) for i in await services.list_invitations(db_session, principal.tenant_id)]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@post("/api/v1/invitations", operation_id="createInvitation", tags=["members"], status_code=HTTP_201_CREATED)
async def create_invitation(
    request: Request[Any, Any, Any],
    data: JSONBody[InvitationIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> InvitationCreatedOut:
    """Invite a teammate. The accept link is shown once; pass it on to them."""
    email = services.normalise_email(data.email)
    invitation, token = await services.invite(db_session, principal, email, data.role)
    out = _invitation_out(invitation)
    return InvitationCreatedOut(
        **{f: getattr(out, f) for f in out.__struct_fields__},
        accept_url=services.invitation_url(request.app.state.settings.effective_public_url, token),
        token=token,
    )


@delete(
    "/api/v1/invitations/{invitation_id:uuid}",
    operation_id="revokeInvitation",
    tags=["members"],
    status_code=HTTP_204_NO_CONTENT,
)
async def revoke_invitation(
    invitation_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> None:
    """Withdraw an invitation that has not been accepted yet."""
    await services.revoke_invitation(db_session, principal, invitation_id)


@post(
    "/api/v1/invitations/accept",
    operation_id="acceptInvitation",
    tags=["members"],
    opt={**PUBLIC, "answers": (404,)},
    status_code=HTTP_201_CREATED,
)
async def accept_invitation(
    request: Request[Any, Any, Any],
    data: JSONBody[AcceptInvitationIn],
    db_session: NamedDependency[AsyncSession],
) -> Response[MeOut]:
    """Accept an invitation (creating the account if needed) and sign in to that company."""
    settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.hit(
        "accept-ip",
        client_ip(request, settings.trusted_proxy_set),
        limit=settings.login_limit_per_ip_15min,
        window_seconds=900,
    )
    user, tenant_id = await services.accept_invitation(db_session, data.token, data.password)
    tenants = await services.tenants_of(db_session, user.id)
    me = _me(user.id, user.email, tenant_id, tenants)
    return await _sign_in(request, user.id, tenant_id, me, HTTP_201_CREATED)


ROUTES = [
    list_members,
    update_member,
    remove_member,
    list_invitations,
    create_invitation,
    revoke_invitation,
    accept_invitation,
]
