"""``/api/v1/api-keys``: a tenant's API keys for its own scripts.

Created and revoked in the dashboard (signed-in users only: a key cannot mint keys), shown once,
kept only as a hash, limited by scopes, revocable at once. A key is sent as
``Authorization: Bearer spk_...`` and acts with the ``admin`` role within its scopes.
"""

from __future__ import annotations

import uuid

from litestar import Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.audit.service import record
from spojka.auth.principal import Principal
from spojka.auth.scopes import API_KEY_SCOPES, parse_scopes
from spojka.db import utcnow
from spojka.http.problems import NotFound
from spojka.http.schemas import Page
from spojka.partners.credentials import display_prefix, hash_secret, new_api_key
from spojka.partners.models import DEFAULT_RATE_LIMIT_PER_MINUTE, ApiKey
from spojka.partners.schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut
from spojka.partners.services import check_scopes

TAGS = ["api-keys"]


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=sorted(parse_scopes(key.scopes)),
        rate_limit_per_minute=key.rate_limit_per_minute,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@get("/api/v1/api-keys", operation_id="listApiKeys", tags=TAGS)
async def list_api_keys(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> Page[ApiKeyOut]:
    """The company's API keys, newest first (never the keys themselves)."""
    rows = await db_session.scalars(
        select(ApiKey)
        .where(ApiKey.tenant_id == principal.tenant_id)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    )
    items = [_out(k) for k in rows]
    return Page(items=items, total=len(items), limit=len(items), offset=0)


@post("/api/v1/api-keys", operation_id="createApiKey", tags=TAGS, status_code=HTTP_201_CREATED)
async def create_api_key(
    data: JSONBody[ApiKeyIn], principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> ApiKeyCreatedOut:
    """Create an API key with the given scopes. The key is shown in this answer only."""
    scopes = check_scopes(frozenset(data.scopes), API_KEY_SCOPES)
    secret = new_api_key(principal.tenant_id)
    key = ApiKey(
        id=uuid.uuid4(),
        tenant_id=principal.tenant_id,
        name=data.name.strip(),
        prefix=display_prefix(secret),
        key_hash=hash_secret(secret),
        scopes=" ".join(sorted(scopes)),
        rate_limit_per_minute=data.rate_limit_per_minute or DEFAULT_RATE_LIMIT_PER_MINUTE,
        created_by=None if principal.is_machine else principal.user_id,
    )
    db_session.add(key)
    await db_session.flush()
    await record(
        db_session, principal, "api_key.created", "api_key", key.id, {"name": key.name, "scopes": key.scopes}
    )
    out = _out(key)
    return ApiKeyCreatedOut(**{f: getattr(out, f) for f in out.__struct_fields__}, key=secret)


@delete(
    "/api/v1/api-keys/{api_key_id:uuid}",
    operation_id="revokeApiKey",
    tags=TAGS,
    status_code=HTTP_204_NO_CONTENT,
)
async def revoke_api_key(
    api_key_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
) -> Response[None]:
    """Revoke an API key: it stops working at once (idempotent)."""
    key = await db_session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == principal.tenant_id, ApiKey.id == api_key_id)
    )
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await record(db_session, principal, "api_key.revoked", "api_key", key.id, {"name": key.name})
    return Response(None, status_code=HTTP_204_NO_CONTENT)


ROUTES = [list_api_keys, create_api_key, revoke_api_key]
