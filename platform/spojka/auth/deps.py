"""Dependencies every tenant route uses: the principal and a session bound to its tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.auth.principal import PartnerCaller, Principal
from spojka.db import Database
from spojka.http.problems import Unauthorized
from spojka.partners.rls import bind_partner


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("Sign in to continue.")
    return user


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """One transaction per request, bound to the caller's tenant (none for public routes)."""
    user = request.scope.get("user")
    db: Database = request.app.state.db
    tenant_id = user.tenant_id if isinstance(user, Principal) else None
    # A machine caller's id is not a user's: bind no user (it would only confuse the membership policy).
    user_id = user.user_id if isinstance(user, Principal) and not user.is_machine else None
    async with db.session(tenant_id=tenant_id, user_id=user_id) as session:
        if isinstance(user, PartnerCaller):
            await bind_partner(session, user.partner_id)
        yield session


async def provide_partner(request: Request[Any, Any, Any]) -> PartnerCaller:
    """The partner's client calling the partner API (``/partner/v1``)."""
    user = request.scope.get("user")
    if not isinstance(user, PartnerCaller):
        raise Unauthorized("Send a partner access token (Authorization: Bearer ...).")
    return user


DEPENDENCIES = {
    "principal": Provide(provide_principal),
    "partner": Provide(provide_partner),
    "db_session": Provide(provide_db_session),
}
