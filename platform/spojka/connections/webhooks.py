"""A connection's webhook address: ``/api/v1/hooks/{connectionId}/{token}``.

The token is random; its hash finds the endpoint (row-level security shows the row to whoever binds
that hash), and the token itself is sealed in the vault so the connector can register the address
with the e-shop.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from spojka.connections.models import WebhookEndpoint
from spojka.vault import SecretStore

HOOK_PATH = "/api/v1/hooks"
TOKEN_FIELD = "hook.token"  # noqa: S105 (the name of a vault field, not a secret)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hook_url(public_url: str, connection_id: uuid.UUID, token: str) -> str:
    return f"{public_url.rstrip('/')}{HOOK_PATH}/{connection_id}/{token}"


async def ensure_endpoint(
    session: AsyncSession, store: SecretStore, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> str:
    """The connection's webhook token, made (and sealed) on first use."""
    existing = await store.get(session, tenant_id, connection_id, fields=[TOKEN_FIELD])
    if TOKEN_FIELD in existing:
        return existing[TOKEN_FIELD]
    token = secrets.token_urlsafe(24)
    found = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.connection_id == connection_id
        )
    )
    if found is None:
        session.add(
            WebhookEndpoint(tenant_id=tenant_id, connection_id=connection_id, token_hash=token_hash(token))
        )
    else:
        found.token_hash = token_hash(token)
    await store.put(session, tenant_id, connection_id, {TOKEN_FIELD: token})
    await session.flush()
    return token


async def webhook_url(
    session: AsyncSession, store: SecretStore, public_url: str, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> str | None:
    values = await store.get(session, tenant_id, connection_id, fields=[TOKEN_FIELD])
    token = values.get(TOKEN_FIELD)
    return hook_url(public_url, connection_id, token) if token else None
