"""Accounts: sign-up, sign-in, memberships and invitations. Routes stay thin; the rules live here."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts.models import Invitation, Membership, User
from spojka.accounts.passwords import hash_password, password_problems, verify_password
from spojka.audit.service import record
from spojka.auth.principal import ROLE_RANK, Principal
from spojka.db import bind_principal, utcnow
from spojka.http.problems import Conflict, Forbidden, Invalid, NotFound
from spojka.tenants.models import Tenant
from spojka.tenants.services import create_tenant

INVITATION_DAYS = 7


@dataclass(frozen=True, slots=True)
class TenantRole:
    tenant: Tenant
    role: str


def normalise_email(raw: str) -> str:
    """The canonical form of an address, or a 422 that says what is wrong with it."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"E-mail address: {exc}") from None


def check_password(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise Invalid(
            "The password is not strong enough: " + " ".join(problems), extra={"password": problems}
        )


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def signup(
    session: AsyncSession, email: str, password: str, company_name: str, *, check_rules: bool = True
) -> tuple[User, Tenant]:
    """Create the tenant and its owner. ``email`` must already be normalised. ``check_rules=False``
    is for the demo account only, whose published password names its e-mail."""
    if check_rules:
        check_password(password, email)
    if await find_user(session, email) is not None:
        raise Conflict("An account with this e-mail already exists. Sign in instead.")
    user = User(id=uuid.uuid4(), email=email, password_hash=await hash_password(password))
    session.add(user)
    await session.flush()
    tenant = await create_tenant(session, company_name, user_id=user.id)
    session.add(Membership(tenant_id=tenant.id, user_id=user.id, role="owner"))
    actor = Principal(user_id=user.id, tenant_id=tenant.id, role="owner", email=email, session_id="")
    await record(session, actor, "tenant.created", "tenant", tenant.id, {"name": tenant.name})
    await session.flush()
    return user, tenant


async def authenticate(session: AsyncSession, email: str, password: str) -> User | None:
    user = await find_user(session, email)
    if not await verify_password(user.password_hash if user else None, password):
        return None
    return user


async def tenants_of(session: AsyncSession, user_id: uuid.UUID) -> list[TenantRole]:
    """The user's tenants, most recently joined first. Needs only the user bound (RLS allows it)."""
    await bind_principal(session, tenant_id=None, user_id=user_id)
    rows = await session.execute(
        select(Tenant, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user_id, Tenant.status == "active")
        .order_by(Membership.created_at.desc())
    )
    return [TenantRole(tenant=t, role=role) for t, role in rows.all()]


# -- members --------------------------------------------------------------------------------


async def list_members(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[Membership, str]]:
    rows = await session.execute(
        select(Membership, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.created_at)
    )
    return [(m, email) for m, email in rows.all()]


async def _membership(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    member = await session.scalar(
        select(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )
    if member is None:
        raise NotFound("No such member.")
    return member


async def _count_owners(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    query = select(func.count()).where(Membership.tenant_id == tenant_id, Membership.role == "owner")
    return await session.scalar(query) or 0


def _may_manage(actor: Principal, role: str) -> None:
    # Admins manage admins and viewers; only an owner hands out or takes away ownership.
    if ROLE_RANK[role] > ROLE_RANK[actor.role]:
        raise Forbidden(f"Only an owner can manage the {role} role.")


async def change_role(session: AsyncSession, actor: Principal, user_id: uuid.UUID, role: str) -> Membership:
    member = await _membership(session, actor.tenant_id, user_id)
    _may_manage(actor, member.role)
    _may_manage(actor, role)
    if member.role == "owner" and role != "owner" and await _count_owners(session, actor.tenant_id) <= 1:
        raise Conflict("A company needs at least one owner. Make someone else an owner first.")
    old = member.role
    member.role = role
    await record(session, actor, "member.role_changed", "user", user_id, {"from": old, "to": role})
    await session.flush()
    return member


async def remove_member(session: AsyncSession, actor: Principal, user_id: uuid.UUID) -> None:
    member = await _membership(session, actor.tenant_id, user_id)
    _may_manage(actor, member.role)
    if member.role == "owner" and await _count_owners(session, actor.tenant_id) <= 1:
        raise Conflict("A company needs at least one owner. Make someone else an owner first.")
    await session.delete(member)
    await record(session, actor, "member.removed", "user", user_id, {"role": member.role})
    await session.flush()


# -- invitations ----------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _split_token(token: str) -> uuid.UUID:
    # The token names its tenant so acceptance can bind the tenant before looking the row up.
    try:
        return uuid.UUID(token.split(".", 1)[0])
    except ValueError:
        raise NotFound("This invitation link is not valid.") from None


def invitation_url(public_url: str, token: str) -> str:
    """The dashboard page that accepts an invitation (the token rides in the fragment, which
    browsers never send to a server or put in a referrer)."""
    return f"{public_url.rstrip('/')}/invite#{token}"


async def new_invitation(
    session: AsyncSession, tenant_id: uuid.UUID, email: str, role: str, *, invited_by: uuid.UUID | None
) -> tuple[Invitation, str]:
    """An invitation to ``tenant_id`` and its secret token (returned once; only its hash is kept).

    The token names its tenant so acceptance can bind the tenant before looking the row up.
    """
    token = f"{tenant_id}.{secrets.token_urlsafe(24)}"
    invitation = Invitation(
        tenant_id=tenant_id,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=invited_by,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def invite(session: AsyncSession, actor: Principal, email: str, role: str) -> tuple[Invitation, str]:
    _may_manage(actor, role)
    existing = await session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == actor.tenant_id, User.email == email)
    )
    if existing is not None:
        raise Conflict("This person is already a member.")
    invitation, token = await new_invitation(session, actor.tenant_id, email, role, invited_by=actor.user_id)
    await record(
        session, actor, "member.invited", "invitation", invitation.id, {"email": email, "role": role}
    )
    return invitation, token


async def list_invitations(session: AsyncSession, tenant_id: uuid.UUID) -> list[Invitation]:
    rows = await session.scalars(
        select(Invitation)
        .where(Invitation.tenant_id == tenant_id, Invitation.accepted_at.is_(None))
        .order_by(Invitation.created_at.desc())
    )
    return list(rows)


async def revoke_invitation(session: AsyncSession, actor: Principal, invitation_id: uuid.UUID) -> None:
    invitation = await session.scalar(
        select(Invitation).where(Invitation.tenant_id == actor.tenant_id, Invitation.id == invitation_id)
    )
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("No such invitation.")
    await session.delete(invitation)
    await record(
        session, actor, "member.invitation_revoked", "invitation", invitation_id, {"email": invitation.email}
    )
    await session.flush()


async def accept_invitation(session: AsyncSession, token: str, password: str) -> tuple[User, uuid.UUID]:
    """Join the inviting tenant: an existing account proves itself with its password, a new one is made."""
    tenant_id = _split_token(token)
    await bind_principal(session, tenant_id=tenant_id)
    invitation = await session.scalar(
        select(Invitation).where(
            Invitation.tenant_id == tenant_id, Invitation.token_hash == _token_hash(token)
        )
    )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < utcnow():
        raise NotFound("This invitation link is not valid or has expired. Ask for a new one.")
    user = await find_user(session, invitation.email)
    if user is None:
        check_password(password, invitation.email)
        user = User(id=uuid.uuid4(), email=invitation.email, password_hash=await hash_password(password))
        session.add(user)
        await session.flush()
    elif not await verify_password(user.password_hash, password):
        raise Invalid("An account with this e-mail exists: enter its password to accept.")
    await bind_principal(session, tenant_id=tenant_id, user_id=user.id)
    already = await session.scalar(
        select(Membership.id).where(Membership.tenant_id == tenant_id, Membership.user_id == user.id)
    )
    if already is None:
        session.add(Membership(tenant_id=tenant_id, user_id=user.id, role=invitation.role))
    invitation.accepted_at = utcnow()
    actor = Principal(user_id=user.id, tenant_id=tenant_id, role="viewer", email=user.email, session_id="")
    await record(session, actor, "member.joined", "user", user.id, {"role": invitation.role})
    await session.flush()
    return user, tenant_id
