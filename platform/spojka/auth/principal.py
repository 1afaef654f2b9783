"""The authenticated caller. The tenant of every request comes from here and nowhere else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

Role = Literal["owner", "admin", "viewer"]
ROLE_RANK: dict[str, int] = {"viewer": 0, "admin": 1, "owner": 2}
#: ``user``: a dashboard session; ``partner_client``: a partner's OAuth2 access token naming a
#: tenant it manages; ``api_key``: a tenant's own API key; ``addon``: an e-shop platform's call that
#: installed Spojka as its add-on (it acts only inside the install itself).
PrincipalKind = Literal["user", "partner_client", "api_key", "addon"]


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller acting in one tenant with one role.

    For machine callers ``user_id`` is the client's (or API key's) id, never a user's, and
    ``scopes`` limits what they may do; a signed-in user has ``scopes=None`` (no scope limit).
    """

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    email: str
    session_id: str
    kind: PrincipalKind = "user"
    scopes: frozenset[str] | None = None
    label: str | None = None

    def has_role(self, minimum: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    def has_scope(self, scope: str) -> bool:
        """Whether the caller's token or key grants ``scope`` (always true for a signed-in user)."""
        return self.scopes is None or scope in self.scopes

    @property
    def is_machine(self) -> bool:
        return self.kind != "user"

    @property
    def actor_label(self) -> str:
        return self.label or self.email


@dataclass(frozen=True, slots=True)
class PartnerCaller:
    """A partner's OAuth2 client on the partner API (``/partner/v1``): no tenant of its own."""

    partner_id: uuid.UUID
    client_id: uuid.UUID
    scopes: frozenset[str]
    label: str

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
