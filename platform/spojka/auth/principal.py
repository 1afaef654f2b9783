"""The authenticated caller. The tenant of every request comes from here and nowhere else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

Role = Literal["owner", "admin", "viewer"]
ROLE_RANK: dict[str, int] = {"viewer": 0, "admin": 1, "owner": 2}


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user acting in one tenant with one role."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    role: Role
    email: str
    session_id: str
    kind: Literal["user"] = "user"

    def has_role(self, minimum: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    @property
    def actor_label(self) -> str:
        return self.email
