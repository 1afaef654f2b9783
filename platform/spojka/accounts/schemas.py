"""Request and response shapes of sign-up, sign-in, members and invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, cast

import msgspec

from spojka.http.schemas import Email, Input, Name, Output

Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
RoleName = Literal["owner", "admin", "viewer"]


def as_role(value: str) -> RoleName:
    """A role read from the database (where the column holds only these values)."""
    return cast(RoleName, value)


class SignupIn(Input):
    email: Email
    password: Password
    company_name: Name


class LoginIn(Input):
    email: Email
    password: Password


class SwitchTenantIn(Input):
    tenant_id: uuid.UUID


class UserOut(Output):
    id: uuid.UUID
    email: str


class TenantMembershipOut(Output):
    id: uuid.UUID
    name: str
    role: RoleName


class MeOut(Output):
    user: UserOut
    tenant: TenantMembershipOut
    tenants: list[TenantMembershipOut]


class PasswordRulesOut(Output):
    min_length: int
    max_length: int
    rules: list[str]


class MemberOut(Output):
    user_id: uuid.UUID
    email: str
    role: RoleName
    joined_at: datetime


class MemberUpdateIn(Input):
    role: RoleName


class InvitationIn(Input):
    email: Email
    role: RoleName = "viewer"


class InvitationOut(Output):
    id: uuid.UUID
    email: str
    role: RoleName
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None


class InvitationCreatedOut(InvitationOut):
    #: Shown once: the link the invited person opens. Only its hash is stored.
    accept_url: str = ""
    token: str = ""


class AcceptInvitationIn(Input):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
    password: Password
