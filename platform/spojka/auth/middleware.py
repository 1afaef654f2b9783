"""Resolves the session cookie into a ``Principal`` for every request that needs one."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import select

from spojka.accounts.models import Membership, User
from spojka.auth.principal import Principal
from spojka.auth.sessions import COOKIE_NAME, SessionStore
from spojka.db import Database
from spojka.http.problems import Unauthorized


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    """Cookie session → principal. The role is read fresh on each request, so removing a member
    or changing a role takes effect at once, not when their session expires."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = connection.cookies.get(COOKIE_NAME)
        if not token:
            raise Unauthorized("Sign in to continue.")
        store: SessionStore = connection.app.state.sessions
        data = await store.get(token)
        if data is None:
            raise Unauthorized("Your session has expired. Sign in again.")
        db: Database = connection.app.state.db
        async with db.session(tenant_id=data.tenant_id, user_id=data.user_id) as session:
            row = (
                await session.execute(
                    select(Membership.role, User.email)
                    .join(User, User.id == Membership.user_id)
                    .where(Membership.tenant_id == data.tenant_id, Membership.user_id == data.user_id)
                )
            ).first()
        if row is None:
            await store.delete(token)
            raise Unauthorized("You no longer have access to this company. Sign in again.")
        principal = Principal(
            user_id=data.user_id, tenant_id=data.tenant_id, role=row.role, email=row.email, session_id=token
        )
        state = connection.scope.setdefault("state", {})
        state["tenant_id"] = str(principal.tenant_id)
        state["user_id"] = str(principal.user_id)
        return AuthenticationResult(user=principal, auth=token)
