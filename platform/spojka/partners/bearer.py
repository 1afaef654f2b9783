"""``Authorization: Bearer ...``: a partner's access token or a tenant's API key → the caller.

- On ``/partner/v1`` a partner token becomes a ``PartnerCaller`` (the partner, no tenant).
- On ``/api/v1`` a partner token must name, in ``Spojka-Tenant``, a tenant its partner manages; it
  becomes a ``Principal`` of kind ``partner_client`` in that tenant. A tenant the partner does not
  manage is answered 404, exactly as one that does not exist.
- A tenant API key (``spk_...``) becomes a ``Principal`` of kind ``api_key`` in its own tenant.

Machine callers act with the ``admin`` role, further limited by their scopes (``auth.scopes``).
Every caller is counted against its own per-minute rate limit in Redis.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AuthenticationResult
from sqlalchemy import select

from spojka.auth.principal import PartnerCaller, Principal
from spojka.auth.ratelimit import RateLimiter
from spojka.auth.scopes import parse_scopes
from spojka.db import Database, utcnow
from spojka.http.problems import NotFound, Problem, TooManyRequests, Unauthorized
from spojka.partners.credentials import api_key_tenant, hash_secret, same_secret
from spojka.partners.models import ApiKey, Partner, PartnerClient, PartnerTenant
from spojka.partners.rls import bind_partner
from spojka.partners.tokens import InvalidToken, TokenKeys
from spojka.tenants.models import Tenant

TENANT_HEADER = "spojka-tenant"
RATE_WINDOW_SECONDS = 60
_INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class MissingTenant(Problem):
    status_code = 400
    kind = "tenant-header-missing"
    title = "Tenant not named"


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers=_INVALID_TOKEN)


async def rate_limit(connection: ASGIConnection[Any, Any, Any, Any], identity: str, per_minute: int) -> None:
    """Count one request of this caller; 429 with Retry-After once past its limit this minute."""
    limiter: RateLimiter = connection.app.state.rate_limiter
    try:
        await limiter.hit("client", identity, limit=per_minute, window_seconds=RATE_WINDOW_SECONDS)
    except TooManyRequests as exc:
        retry_after = int((exc.headers or {}).get("Retry-After", RATE_WINDOW_SECONDS))
        raise TooManyRequests(
            f"This client may make {per_minute} requests a minute; wait {retry_after} s and try again.",
            retry_after=retry_after,
        ) from None


def _set_log_context(connection: ASGIConnection[Any, Any, Any, Any], **values: str) -> None:
    state = connection.scope.setdefault("state", {})
    state.update(values)


async def authenticate_bearer(
    connection: ASGIConnection[Any, Any, Any, Any], token: str
) -> AuthenticationResult:
    """Resolve a bearer credential; 401 for anything not currently valid."""
    if api_key_tenant(token) is not None:
        return await _authenticate_api_key(connection, token)
    keys: TokenKeys = connection.app.state.token_keys
    try:
        claims = await keys.verify(token)
    except InvalidToken:
        raise _unauthorized(
            "The access token is invalid or has expired: get a new one at POST /oauth/token."
        ) from None
    db: Database = connection.app.state.db
    async with db.session() as session:
        row = (
            await session.execute(
                select(PartnerClient, Partner)
                .join(Partner, Partner.id == PartnerClient.partner_id)
                .where(PartnerClient.id == claims.client_id)
            )
        ).first()
    if row is None:
        raise _unauthorized("The access token's client no longer exists.")
    client, partner = row
    if client.revoked_at is not None or partner.status != "active" or partner.id != claims.partner_id:
        raise _unauthorized("The access token's client has been revoked.")
    await rate_limit(connection, f"client:{client.id}", client.rate_limit_per_minute)
    # The client's current scopes bound the token's: taking a scope away takes effect at once.
    scopes = claims.scopes & parse_scopes(client.scopes)
    label = f"{partner.name} / {client.name}"
    _set_log_context(connection, partner_id=str(partner.id), client_id=str(client.id))
    if connection.scope["path"].startswith("/partner/"):
        caller = PartnerCaller(partner_id=partner.id, client_id=client.id, scopes=scopes, label=label)
        return AuthenticationResult(user=caller, auth=claims)
    tenant_id = await _managed_tenant(db, partner.id, connection.headers.get(TENANT_HEADER))
    principal = Principal(
        user_id=client.id,
        tenant_id=tenant_id,
        role="admin",
        email="",
        session_id="",
        kind="partner_client",
        scopes=scopes,
        label=label,
    )
    _set_log_context(connection, tenant_id=str(tenant_id))
    return AuthenticationResult(user=principal, auth=claims)


async def _managed_tenant(db: Database, partner_id: uuid.UUID, header: str | None) -> uuid.UUID:
    if not header:
        raise MissingTenant(
            "A partner token acts for one of the partner's tenants: name it in the Spojka-Tenant header."
        )
    try:
        tenant_id = uuid.UUID(header.strip())
    except ValueError:
        raise NotFound("No such company.") from None
    async with db.session(tenant_id=tenant_id) as session:
        await bind_partner(session, partner_id)
        managed = await session.scalar(
            select(PartnerTenant.id).where(
                PartnerTenant.tenant_id == tenant_id, PartnerTenant.partner_id == partner_id
            )
        )
    if managed is None:
        raise NotFound("No such company.")
    return tenant_id


async def _authenticate_api_key(
    connection: ASGIConnection[Any, Any, Any, Any], token: str
) -> AuthenticationResult:
    tenant_id = api_key_tenant(token)
    assert tenant_id is not None
    db: Database = connection.app.state.db
    digest = hash_secret(token)
    async with db.session(tenant_id=tenant_id) as session:
        key = await session.scalar(
            select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.key_hash == digest)
        )
        if key is None or key.revoked_at is not None or not same_secret(token, key.key_hash):
            raise _unauthorized("The API key is not valid (it may have been revoked).")
        status = await session.scalar(select(Tenant.status).where(Tenant.id == tenant_id))
        if status != "active":
            raise _unauthorized("The company of this API key is suspended.")
        now = utcnow()
        # Recorded coarsely: one write per key every few minutes, not one per request.
        if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
            key.last_used_at = now
        key_id, name, scopes, per_minute = key.id, key.name, key.scopes, key.rate_limit_per_minute
    await rate_limit(connection, f"api-key:{key_id}", per_minute)
    principal = Principal(
        user_id=key_id,
        tenant_id=tenant_id,
        role="admin",
        email="",
        session_id="",
        kind="api_key",
        scopes=parse_scopes(scopes),
        label=f"API key {name}",
    )
    _set_log_context(connection, tenant_id=str(tenant_id))
    return AuthenticationResult(user=principal, auth=key_id)
