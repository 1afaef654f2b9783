"""Sign-up, sign-in, sign-out and ``me`` (cookie sessions)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.accounts import services
from spojka.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from spojka.accounts.schemas import (
    LoginIn,
    MeOut,
    PasswordRulesOut,
    SignupIn,
    SwitchTenantIn,
    TenantMembershipOut,
    UserOut,
    as_role,
)
from spojka.auth.client_ip import client_ip
from spojka.auth.principal import Principal
from spojka.auth.ratelimit import RateLimiter
from spojka.auth.sessions import COOKIE_NAME, SessionStore
from spojka.db import utcnow
from spojka.http.problems import NotFound, Unauthorized
from spojka.settings import Settings

PUBLIC = {"exclude_from_auth": True}
WINDOW_HOUR = 3600
WINDOW_15_MIN = 900


def _session_cookie(settings: Settings, token: str, *, expire: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value="" if expire else token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=0 if expire else settings.session_max_hours * 3600,
    )


def _me(user_id: uuid.UUID, email: str, current: uuid.UUID, tenants: list[services.TenantRole]) -> MeOut:
    memberships = [
        TenantMembershipOut(id=t.tenant.id, name=t.tenant.name, role=as_role(t.role)) for t in tenants
    ]
    active = next((m for m in memberships if m.id == current), None)
    if active is None:
        raise Unauthorized("You no longer have access to this company. Sign in again.")
    return MeOut(user=UserOut(id=user_id, email=email), tenant=active, tenants=memberships)


async def _sign_in(
    request: Request[Any, Any, Any], user_id: uuid.UUID, tenant_id: uuid.UUID, me: MeOut, status: int
) -> Response[MeOut]:
    store: SessionStore = request.app.state.sessions
    token = await store.create(user_id, tenant_id)
    return Response(me, status_code=status, cookies=[_session_cookie(request.app.state.settings, token)])


@post("/api/v1/auth/signup", operation_id="signup", tags=["auth"], opt=PUBLIC, status_code=HTTP_201_CREATED)
async def signup(
    request: Request[Any, Any, Any], data: JSONBody[SignupIn], db_session: NamedDependency[AsyncSession]
) -> Response[MeOut]:
    """Create a company (tenant) and its owner, and sign the owner in."""
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = client_ip(request, settings.trusted_proxy_set)
    await limiter.hit("signup-ip", ip, limit=settings.signup_limit_per_ip_hour, window_seconds=WINDOW_HOUR)
    email = services.normalise_email(data.email)
    await limiter.hit("signup-email", email, limit=5, window_seconds=WINDOW_HOUR)
    user, tenant = await services.signup(db_session, email, data.password, data.company_name)
    me = _me(user.id, user.email, tenant.id, [services.TenantRole(tenant=tenant, role="owner")])
    return await _sign_in(request, user.id, tenant.id, me, HTTP_201_CREATED)


@post(
    "/api/v1/auth/login",
    operation_id="login",
    tags=["auth"],
    opt={**PUBLIC, "answers": (401,)},
    status_code=HTTP_200_OK,
)
async def login(
    request: Request[Any, Any, Any], data: JSONBody[LoginIn], db_session: NamedDependency[AsyncSession]
) -> Response[MeOut]:
    """Sign in with e-mail and password. A failure never says which of the two was wrong."""
    settings: Settings = request.app.state.settings
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = client_ip(request, settings.trusted_proxy_set)
    await limiter.hit("login-ip", ip, limit=settings.login_limit_per_ip_15min, window_seconds=WINDOW_15_MIN)
    email = data.email.strip().lower()
    await limiter.hit(
        "login-email", email, limit=settings.login_limit_per_email_15min, window_seconds=WINDOW_15_MIN
    )
    user = await services.authenticate(db_session, email, data.password)
    if user is None:
        raise Unauthorized("E-mail or password is incorrect.")
    tenants = await services.tenants_of(db_session, user.id)
    if not tenants:
        raise Unauthorized("E-mail or password is incorrect.")
    user.last_login_at = utcnow()
    me = _me(user.id, user.email, tenants[0].tenant.id, tenants)
    return await _sign_in(request, user.id, tenants[0].tenant.id, me, HTTP_200_OK)


@post(
    "/api/v1/auth/logout", operation_id="logout", tags=["auth"], opt=PUBLIC, status_code=HTTP_204_NO_CONTENT
)
async def logout(request: Request[Any, Any, Any]) -> Response[None]:
    """End this session (idempotent)."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        store: SessionStore = request.app.state.sessions
        await store.delete(token)
    return Response(
        None,
        status_code=HTTP_204_NO_CONTENT,
        cookies=[_session_cookie(request.app.state.settings, "", expire=True)],
    )


@get("/api/v1/me", operation_id="getMe", tags=["auth"])
async def get_me(principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]) -> MeOut:
    """The signed-in user, the company they act in, and every company they belong to."""
    tenants = await services.tenants_of(db_session, principal.user_id)
    return _me(principal.user_id, principal.email, principal.tenant_id, tenants)


@post(
    "/api/v1/auth/switch-tenant",
    operation_id="switchTenant",
    tags=["auth"],
    status_code=HTTP_200_OK,
    opt={"min_role": "viewer", "answers": (404,)},
)
async def switch_tenant(
    request: Request[Any, Any, Any],
    data: JSONBody[SwitchTenantIn],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> MeOut:
    """Act in another company the user belongs to."""
    tenants = await services.tenants_of(db_session, principal.user_id)
    if not any(t.tenant.id == data.tenant_id for t in tenants):
        raise NotFound("No such company.")
    store: SessionStore = request.app.state.sessions
    await store.switch_tenant(principal.session_id, data.tenant_id)
    return _me(principal.user_id, principal.email, data.tenant_id, tenants)


@get("/api/v1/auth/password-rules", operation_id="getPasswordRules", tags=["auth"], opt=PUBLIC)
async def password_rules() -> PasswordRulesOut:
    """The rules a new password must meet, to show before the form is sent."""
    return PasswordRulesOut(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        rules=[
            f"At least {MIN_LENGTH} characters.",
            "Not one of the 30,000 most common passwords.",
            "Not containing your e-mail address.",
        ],
    )


ROUTES = [signup, login, logout, get_me, switch_tenant, password_rules]
