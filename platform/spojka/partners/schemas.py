"""Shapes of the partner API (camelCase on the wire, unknown fields refused)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from spojka.http.schemas import Email, Input, Name, Output

ScopeName = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z]+:[a-z]+$")]
RateLimit = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
TenantStatus = Literal["active", "suspended"]


class TenantCreateIn(Input):
    name: Name
    #: When given, this person is invited as the tenant's owner (an e-mail with the accept link).
    owner_email: Email | None = None


class TenantStatusIn(Input):
    status: TenantStatus


class OwnerInviteIn(Input):
    email: Email


class ManagedTenantOut(Output):
    id: uuid.UUID
    name: str
    status: str
    created_at: datetime


class OwnerInvitationOut(Output):
    id: uuid.UUID
    email: str
    role: str
    expires_at: datetime
    #: Shown once: the link the owner opens to join (also e-mailed when e-mail is set up).
    accept_url: str
    token: str


class ManagedTenantCreatedOut(ManagedTenantOut):
    invitation: OwnerInvitationOut | None = None


class ClientIn(Input):
    name: Name
    scopes: Annotated[list[ScopeName], msgspec.Meta(min_length=1, max_length=20)]
    rate_limit_per_minute: RateLimit | None = None


class ClientOut(Output):
    id: uuid.UUID
    name: str
    scopes: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ClientCreatedOut(ClientOut):
    #: Shown once; only its hash is kept.
    client_secret: str


class ApiKeyIn(Input):
    name: Name
    scopes: Annotated[list[ScopeName], msgspec.Meta(min_length=1, max_length=20)]
    rate_limit_per_minute: RateLimit | None = None


class ApiKeyOut(Output):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    #: Shown once; only its hash is kept. Send it as ``Authorization: Bearer <key>``.
    key: str


EventType = Literal["run.failed", "run.recovered", "connection.needs_attention"]
HttpsUrl = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]


class EventEndpointIn(Input):
    url: HttpsUrl
    events: Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=10)]


class EventEndpointOut(Output):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime


class EventEndpointCreatedOut(EventEndpointOut):
    #: Shown once: the HMAC-SHA256 key of the ``Spojka-Signature`` header.
    signing_secret: str


class EventDeliveryOut(Output):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    tenant_id: uuid.UUID | None
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
