"""Resolves the caller of every request that needs one: the session cookie into a ``Principal``, or
an ``Authorization: Bearer`` credential (partner token, tenant API key; see ``partners.bearer``)."""

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
from spojka.partners.bearer import authenticate_bearer


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    """Cookie session → principal. The role is read fresh on each request, so removing a member
    or changing a role takes effect at once, not when their session expires."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        authorization = connection.headers.get("authorization")
        if authorization is not None and authorization[:7].lower() == "bearer ":
            # A bearer credential is used alone, never with a cookie (see BearerAwareCSRFMiddleware).
            return await authenticate_bearer(connection, authorization[7:].strip())
        token = connection.cookies.get(COOKIE_NAME)
        if not token:
            if connection.scope["path"].startswith("/partner/"):
                raise Unauthorized(
                    "Send a partner access token (Authorization: Bearer ...); get one at POST /oauth/token.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
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
